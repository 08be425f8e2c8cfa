#!/usr/bin/env node
// HUMEA benchmarks (issue 4): each preset runs `mmea train --json` as its own process and prints the
// test metrics (mean of both directions) of the validation-selected, best-on-test and last epochs,
// the per-checkpoint curve, seconds per epoch, wall time, peak RSS and backend. Run folders are kept
// under --runs (log.jsonl has every epoch and evaluation).
//   npm run build && node bench/train.mjs <preset> [--epochs N] [--runs DIR] [--data ../shared/data] [--resume]
// (--resume continues the preset's runs from their last checkpoints, e.g. after Ctrl-C)
// presets:
//   anchor     FB15K-DB15K partialFB, its 20 % split with no validation hold-out, 30 epochs:
//              the same settings as the reference figures at epochs 10 / 20 / 30 (run.sh's
//              fusion_weight_dim 512), without and with the reference's curriculum grouping
//   full       the same with the honest protocol (10 % of the training pairs held out for selection)
//   iterative  full + mutual-nearest-neighbour pseudo-labels (methods.md §0.7)
//   dbp15k     DBP15K zh_en and fr_en, structure + names, 30 % seeds
//   openea     OpenEA EN_FR_15K_V1, structure + attributes, 20 % seeds
//   mclea      MCLEA on FB15K-DB15K partialFB, its 20 % split, no hold-out, 140 epochs: the settings of
//              the authors' code run here (epochs 30 / 100 / 140, models.md)
//   mclea-full MCLEA, the honest protocol (10 % of the training pairs held out for selection), 1000 epochs
//   loginmea   LoginMEA on FB15K-DB15K partialFB, its 20 % split, the honest protocol, its script's
//              schedule (1000 epochs, lr 5e-4, the optimizer re-created at lr/5 from epoch 50)
//   loginmea-iterative  the same with mutual-nearest-neighbour pseudo-labels from epoch 50 every 5
//   loginmea-dbp15k     LoginMEA on DBP15K zh_en and fr_en, 30 % seeds, without names
//   zoo-speed  every registered model on FB15K-DB15K 20 %, 20 epochs each, one after another: the
//              side-by-side speed and memory (the steady s/epoch is the median of epochs 2–20)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data') },
    runs: { type: 'string', default: join(root, 'bench-runs') },
    epochs: { type: 'string' },
    resume: { type: 'boolean', default: false },
  },
});
const cli = join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('build first: npm run build');
  process.exit(1);
}
const d = (p) => join(values.data, p);
/** The ids of the models the built CLI offers (`mmea models --json`). */
function registeredModels() {
  const r = spawnSync(process.execPath, [cli, 'models', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mmea models --json: ${r.stderr}`);
  return JSON.parse(r.stdout).map((m) => m.id);
}
const fb = d('mmkb/FB15K_DB15K_partialFB');
// run.sh's FB15K-DB15K 20 % line: `bash run.sh 42 FB15K_DB15K 0.2 512 0` (fusion_weight_dim 512)
const fbArgs = ['--data', fb, '--fusion-weight-dim', '512'];
const PRESETS = {
  anchor: [
    ['FB15K-DB15K 20 % (no hold-out)', [...fbArgs, '--valid-fraction', '0', '--epochs', '30', '--check-point', '10']],
    ['FB15K-DB15K 20 % (no hold-out) curriculum', [...fbArgs, '--valid-fraction', '0', '--epochs', '30', '--check-point', '10', '--curriculum']],
  ],
  full: [['FB15K-DB15K 20 %', [...fbArgs, '--epochs', '1000']]],
  iterative: [['FB15K-DB15K 20 % iterative', [...fbArgs, '--epochs', '1000', '--iterative', 'mnn']]],
  dbp15k: [
    ['DBP15K zh_en 30 %', ['--data', d('dbp15k/zh_en'), '--names', d('dbp15k/translated_ent_name/dbp_zh_en.json'), '--rate', '0.3', '--modalities', 'gph,name', '--epochs', '300']],
    ['DBP15K fr_en 30 %', ['--data', d('dbp15k/fr_en'), '--names', d('dbp15k/translated_ent_name/dbp_fr_en.json'), '--rate', '0.3', '--modalities', 'gph,name', '--epochs', '300']],
  ],
  mclea: [['MCLEA FB15K-DB15K 20 % (no hold-out)', ['--data', fb, '--model', 'mclea', '--valid-fraction', '0', '--epochs', '140', '--check-point', '10']]],
  'mclea-full': [['MCLEA FB15K-DB15K 20 %', ['--data', fb, '--model', 'mclea', '--epochs', '1000']]],
  loginmea: [['LoginMEA FB15K-DB15K 20 %', ['--data', fb, '--model', 'loginmea', '--epochs', '1000']]],
  'loginmea-iterative': [['LoginMEA FB15K-DB15K 20 % iterative', ['--data', fb, '--model', 'loginmea', '--epochs', '1000', '--iterative', 'mnn']]],
  'loginmea-dbp15k': [
    ['LoginMEA DBP15K zh_en 30 %', ['--data', d('dbp15k/zh_en'), '--model', 'loginmea', '--rate', '0.3', '--epochs', '1000']],
    ['LoginMEA DBP15K fr_en 30 %', ['--data', d('dbp15k/fr_en'), '--model', 'loginmea', '--rate', '0.3', '--epochs', '1000']],
  ],
  // every registered model, as the built CLI lists them (not a copy of the registry here); asked
  // only when this preset runs
  get 'zoo-speed'() {
    return registeredModels().map((m) => [`${m} FB15K-DB15K 20 % speed`, ['--data', fb, '--model', m, '--epochs', '20', '--check-point', '20']]);
  },
  openea: [['OpenEA EN_FR_15K_V1 20 %', ['--data', d('openea15k/OEA_EN_FR_15K_V1'), '--rate', '0.2', '--modalities', 'gph,att', '--epochs', '300']]],
};
const preset = positionals[0];
if (!(preset in PRESETS)) {
  console.error(`usage: node bench/train.mjs <${Object.keys(PRESETS).join('|')}> [--epochs N]`);
  process.exit(2);
}

function run(label, args) {
  const out = join(values.runs, `${preset}-${label.replace(/[^A-Za-z0-9]+/g, '_')}`);
  mkdirSync(out, { recursive: true });
  const full = [cli, 'train', ...args, ...(values.epochs ? ['--epochs', values.epochs] : []), '--out', out, '--json', ...(values.resume ? ['--resume'] : [])];
  console.error(
    `$ node ${full
      .slice(0)
      .map((a) => a.replace(root + '/', ''))
      .join(' ')}`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, full, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${label}: exit ${code}`));
      resolve({ result: JSON.parse(stdout.trim().split('\n').at(-1)), out });
    });
  });
}

const f3 = (x) => x.toFixed(3);
for (const [label, args] of PRESETS[preset]) {
  const { result: r, out } = await run(label, args);
  console.log(`\n## ${label}  (backend ${r.backend}, ${r.epochs} epochs, ${r.secondsPerEpoch.toFixed(2)} s/epoch, ${(r.wallSeconds / 60).toFixed(1)} min wall, peak RSS ${r.peakRssMB} MB)`);
  console.log('| selection | epoch | H@1 | H@5 | H@10 | MRR | MR |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [k, e] of Object.entries(r.result)) {
    if (e) console.log(`| ${k} | ${e.epoch} | ${f3(e.mean.hits1)} | ${f3(e.mean.hits5)} | ${f3(e.mean.hits10)} | ${f3(e.mean.mrr)} | ${e.mean.mr.toFixed(1)} |`);
  }
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const curve = log.filter((l) => l.type === 'evaluation');
  // the first epoch carries the warm-up (graph building, first allocations): the median of the rest
  const steady = log
    .filter((l) => l.type === 'epoch' && l.epoch > 1)
    .map((l) => l.seconds)
    .sort((a, b) => a - b);
  if (steady.length) console.log(`steady s/epoch (median of epochs 2–${steady.length + 1}): ${steady[steady.length >> 1].toFixed(2)}`);
  console.log(
    `curve (epoch: test H@1 / MRR${curve[0]?.valid ? ', valid MRR' : ''}): ` +
      curve.map((e) => `${e.epoch}: ${f3(e.test.mean.hits1)} / ${f3(e.test.mean.mrr)}${e.valid ? `, ${f3(e.valid.mean.mrr)}` : ''}`).join('; '),
  );
}
