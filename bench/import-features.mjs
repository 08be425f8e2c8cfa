#!/usr/bin/env node
// Import + all features, then reopening the cached project, for each benchmark pair: wall time
// (measured around the whole `mmea` process, Node start-up included) and peak RSS (the process's
// own maxRSS). Targets (issue 3): import + features <= 60 s and <= 3 GiB; reopen <= 3 s.
//   npm run build && node bench/import-features.mjs [--data ../shared/data] [--json]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { data: { type: 'string', default: join(root, '..', 'shared', 'data') }, json: { type: 'boolean', default: false } } });
const cli = join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('build first: npm run build');
  process.exit(1);
}
// each pair with names also with the names' word vectors (the bundled wink vectors: a 300 MB JSON)
const words = ['--word-vectors', 'wink'];
const frNames = ['--names', join(values.data, 'dbp15k/translated_ent_name/dbp_fr_en.json')];
const zhNames = ['--names', join(values.data, 'dbp15k/translated_ent_name/dbp_zh_en.json')];
const pairs = [
  ['FB15K-DB15K (partialFB)', 'mmkb/FB15K_DB15K_partialFB', []],
  ['FB15K-DB15K (partialFB) + word vectors', 'mmkb/FB15K_DB15K_partialFB', words],
  ['DBP15K fr_en + names', 'dbp15k/fr_en', frNames],
  ['DBP15K fr_en + names + word vectors', 'dbp15k/fr_en', [...frNames, ...words]],
  ['DBP15K zh_en + names', 'dbp15k/zh_en', zhNames],
  ['DBP15K zh_en + names + word vectors', 'dbp15k/zh_en', [...zhNames, ...words]],
  ['OpenEA EN_FR_15K_V1', 'openea15k/OEA_EN_FR_15K_V1', []],
];

function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`mmea ${args.join(' ')} failed:\n${r.stderr}`);
  return { wall, out: JSON.parse(r.stdout.trim().split('\n').at(-1)) };
}

const rows = [];
const scratch = mkdtempSync(join(tmpdir(), 'mmea-bench-'));
try {
  for (const [label, dir, extra] of pairs) {
    const src = join(values.data, dir);
    if (!existsSync(src)) continue;
    const project = join(scratch, `${rows.length}`);
    const imp = timed(['import', src, '--project', project, ...extra]);
    const open = timed(['open', project]);
    if (!open.out.features.cached) throw new Error('reopen rebuilt the features: the cache did not hold');
    rows.push({
      pair: label,
      entities: open.out.project.graphs.map((g) => g.entities),
      triples: open.out.project.graphs.map((g) => g.triples),
      importSeconds: +imp.wall.toFixed(2),
      importPeakRssMB: imp.out.peakRssMB,
      reopenSeconds: +open.wall.toFixed(2),
      reopenPeakRssMB: open.out.peakRssMB,
      wordVectors: open.out.features.coverage.words,
    });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (values.json) console.log(JSON.stringify(rows));
else {
  console.log('| pair | entities | triples | names with word vectors | import + features | peak RSS | reopen (cached) | peak RSS |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.pair} | ${r.entities.join(' / ')} | ${r.triples.join(' / ')} | ${r.wordVectors.join(' / ')} | ${r.importSeconds} s | ${r.importPeakRssMB} MB | ${r.reopenSeconds} s | ${r.reopenPeakRssMB} MB |`,
    );
  }
}
