// The mmea command line, run as a user runs it (the built out/main/cli.js), on the demo slice and
// on every dataset folder in ../shared/data, against the counts their SOURCE.md files give.
import { MODEL_IDS, MODELS } from '../../src/shared/models';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { Inspection } from '../../src/engine/data/inspect';
import { Project } from '../../src/engine/data/project';
import { webgpuAdapter } from '../../src/engine/runtime/tf';
import { DEMO_DATASET, ROOT, SHARED_DATA, tempDir, skipWithout } from '../helpers';

const run = promisify(execFile);
const webgpu = !skipWithout('a WebGPU adapter (the webgpu package and a Vulkan driver; .ci/run installs lavapipe)', (await webgpuAdapter()) !== null);
const CLI = join(ROOT, 'out', 'main', 'cli.js');
async function mmea(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
const inspect = async (dir: string, ...extra: string[]) => {
  const r = await mmea('inspect', dir, '--json', ...extra);
  return { ...r, json: JSON.parse(r.stdout) as Inspection };
};

describe('mmea inspect', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('prints only JSON with --json, with the demo slice counts', async () => {
    const { code, json } = await inspect(DEMO_DATASET);
    expect(code).toBe(0);
    expect(json.format).toBe('ids');
    expect(json.graphs.map((g) => [g.entities, g.triples, g.names])).toEqual([
      [340, 827, 340],
      [340, 545, 0],
    ]);
    expect(json.links).toEqual({ total: 300, train: 60, valid: 0, test: 240 });
    expect(json.report.errors).toBe(0);
  });

  it('exits 1 and names file and line for a corrupted copy; exits 2 on a usage error', async () => {
    const dir = join(tmp.path, 'bad');
    cpSync(DEMO_DATASET, dir, { recursive: true });
    writeFileSync(join(dir, 'triples_2'), '340\t1\n');
    const { code, json } = await inspect(dir);
    expect(code).toBe(1);
    expect(json.report.issues).toContainEqual(expect.objectContaining({ file: 'triples_2', line: 1, severity: 'error' }));
    expect((await mmea('inspect')).code).toBe(2);
    expect((await mmea('frobnicate', DEMO_DATASET)).code).toBe(2);
  });

  const sources: [string, (j: Inspection) => void][] = [
    [
      'mmkb/FB15K_DB15K_partialFB',
      (j) => {
        expect(j.graphs.map((g) => [g.entities, g.relations, g.triples])).toEqual([
          [14951, 1056, 381186],
          [12842, 279, 89197],
        ]);
        expect(j.graphs[1]!.tripleLines).toBe(99028);
        expect(j.graphs.map((g) => g.relationsDeclared)).toEqual([1345, 279]);
        expect(j.graphs.map((g) => g.attributeValues)).toEqual([29394, 48044]);
        expect(j.graphs[0]!.names).toBe(14951);
        expect(j.links).toEqual({ total: 12846, train: 2569, valid: 0, test: 10277 });
      },
    ],
    [
      'mmkb/FB15K_DB15K', // DH-MEA orientation: KG1 = DB15K; FB15K triples missing
      (j) => {
        expect(j.graphs.map((g) => [g.entities, g.triples, g.tripleLines])).toEqual([
          [12842, 89197, 99028],
          [14951, 0, 0],
        ]);
        expect(j.graphs.map((g) => [g.attributeNames, g.attributeValues])).toEqual([
          [225, 48044],
          [104, 29394],
        ]);
        expect(j.links).toMatchObject({ total: 12846, train: 2569, test: 10277 });
      },
    ],
    ...(['fr_en', 'zh_en'] as const).map((lang): [string, (j: Inspection) => void] => [
      `dbp15k/${lang}`,
      (j) => {
        const want = {
          fr_en: [
            [19661, 105998, 903],
            [19993, 115722, 1208],
          ],
          zh_en: [
            [19388, 70414, 1701],
            [19572, 95142, 1323],
          ],
        }[lang];
        expect(j.graphs.map((g) => [g.entities, g.triples, g.relations])).toEqual(want);
        expect(j.links.total).toBe(15000);
      },
    ]),
    [
      'dbp15k/fr_en/named_bertint',
      (j) => {
        expect(j.graphs.map((g) => g.relationsDeclared)).toEqual([903, 1208]);
        expect(j.links).toMatchObject({ total: 15000, train: 4500, test: 10500 });
        expect(j.report.warnings).toBe(0);
      },
    ],
    [
      'openea15k/OEA_EN_FR_15K_V1',
      (j) => {
        expect(j.graphs.map((g) => [g.triples, g.relations, g.attributeRows, g.attributeNames])).toEqual([
          [47334, 267, 73121, 308],
          [40864, 210, 67167, 404],
        ]);
        expect(j.links.total).toBe(15000);
      },
    ],
  ];
  const openke = (entities: number, declared: number, lines: number) => (j: Inspection) => {
    expect(j.format).toBe('openke');
    expect(j.graphs).toHaveLength(1);
    expect([j.graphs[0]!.entities, j.graphs[0]!.relationsDeclared, j.graphs[0]!.tripleLines]).toEqual([entities, declared, lines]);
  };
  sources.push(
    ['mmkb/DB15K_named_kgc_split', openke(12842, 279, 79222 + 9904 + 9902)],
    ['mmkb/FB15K_partial/fb15k_openke', openke(14951, 1345, 50000 + 59071)],
    ['mmkb/FB15K_partial/fb15k237_openke', openke(14541, 237, 310116)],
    [
      'mmkb/raw',
      (j) => {
        expect(j.format).toBe('mmkb');
        expect(j.links.total).toBe(12846);
        expect(j.graphs.map((g) => g.images)).toEqual([13444, 12837]);
        expect(j.graphs[0]!.attributeValues).toBe(29395);
      },
    ],
  );
  for (const [dir, check] of sources) {
    const path = join(SHARED_DATA, dir);
    it.skipIf(skipWithout(path, existsSync(path)))(`reports the SOURCE.md counts of ${dir}`, async () => {
      const { code, json } = await inspect(path);
      expect(code).toBe(0);
      check(json);
    });
  }

  const names = join(SHARED_DATA, 'dbp15k', 'translated_ent_name', 'dbp_fr_en.json');
  it.skipIf(skipWithout(names, existsSync(names)))('adds DBP15K translated names from --names (all but the one empty name)', async () => {
    const { json } = await inspect(join(SHARED_DATA, 'dbp15k', 'fr_en'), '--names', names);
    expect(json.graphs[0]!.names + json.graphs[1]!.names).toBe(39654 - 1);
  });
});

describe('mmea import', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('builds a project that opens, and refuses to overwrite it without --replace', async () => {
    const project = join(tmp.path, 'demo');
    const r = await mmea('import', DEMO_DATASET, '--project', project, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ project });
    expect((await Project.open(project)).summary().links.total).toBe(300);
    const again = await mmea('import', DEMO_DATASET, '--project', project, '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'bad-input' } });
    expect((await mmea('import', DEMO_DATASET, '--project', project, '--replace', '--json')).code).toBe(0);
  });

  it('takes a seed rate for a dataset without split files, and says which split training will use', async () => {
    const src = join(tmp.path, 'no-split');
    cpSync(DEMO_DATASET, src, { recursive: true });
    for (const f of ['sup_ent_ids', 'dev_ent_ids']) rmSync(join(src, f));
    const r = await mmea('import', src, '--project', join(tmp.path, 'seeded'), '--seed-rate', '0.3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).split).toEqual({ source: 'seeded', rate: 0.3, seed: 42, train: 81, valid: 9, test: 210 });
    const text = await mmea('import', src, '--project', join(tmp.path, 'seeded-text'), '--seed-rate', '0.3');
    expect(text.stdout).toContain('split: 81 seeds + 9 for validation, 210 held out (no split in the data: drawn at 30 % of the known pairs, seed 42)');
    const bad = await mmea('import', src, '--project', join(tmp.path, 'bad-rate'), '--seed-rate', '30');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--seed-rate must be a fraction between 0 and 1');
  });

  it('imports names’ word vectors with --word-vectors, which inspect and open report', async () => {
    // the demo's KG1 names (Freebase) include these words; KG2 has no names file
    const vectors = join(tmp.path, 'vectors.txt');
    writeFileSync(vectors, 'the 1 0 0\nof 0 1 0\nunited 0 0 1\nstates 1 1 0\n');
    const { json } = await inspect(DEMO_DATASET, '--word-vectors', vectors);
    const [g1, g2] = json.graphs;
    expect(g1!.nameVectors).toBeGreaterThan(0);
    expect(g1!.nameVectors).toBeLessThan(g1!.names); // names without any of the four words get none
    expect(g2!.nameVectors).toBe(0);
    const project = join(tmp.path, 'demo-words');
    expect((await mmea('import', DEMO_DATASET, '--project', project, '--word-vectors', vectors, '--json')).code).toBe(0);
    const opened = JSON.parse((await mmea('open', project, '--json')).stdout);
    expect(opened.features.cached).toBe(true);
    expect(opened.features.wordDims).toBe(3);
    expect(opened.features.coverage.words).toEqual([g1!.nameVectors, 0]);
    const bad = await mmea('import', DEMO_DATASET, '--project', join(tmp.path, 'nope'), '--word-vectors', join(tmp.path, 'missing.txt'), '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/missing\.txt: error: no such file/);
    expect(existsSync(join(tmp.path, 'nope'))).toBe(false);
  });

  const kgc = join(SHARED_DATA, 'mmkb', 'DB15K_named_kgc_split');
  it.skipIf(skipWithout(kgc, existsSync(kgc)))('refuses a single-graph dataset with the reason', async () => {
    const r = await mmea('import', kgc, '--project', join(tmp.path, 'kgc'), '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/single graph.*alignment needs two/);
    expect(existsSync(join(tmp.path, 'kgc'))).toBe(false);
  });
});

describe('mmea train / eval / propose', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const out = join(tmp.path, 'run');

  it('says when --iterative can merge no pseudo-label in the run, and not when it can', async () => {
    const short = await mmea('train', '--data', DEMO_DATASET, '--out', join(tmp.path, 'it-short'), '--model', 'mclea', '--epochs', '2', '--iterative', 'mnn', '--il-start', '0', '--json');
    expect(short.code).toBe(0);
    expect(short.stderr).toContain('--iterative mnn merges pseudo-labels every 50 epochs from --il-start 0, first after epoch 50: this run of 2 epochs merges none');
    const plain = await mmea('train', '--data', DEMO_DATASET, '--out', join(tmp.path, 'it-off'), '--model', 'mclea', '--epochs', '2', '--json');
    expect(plain.stderr).not.toContain('merges none');
  });

  it('--kernels device on the cpu backend: the device path, no host read in any step, and says so', async () => {
    const r = await mmea('train', '--data', DEMO_DATASET, '--out', join(tmp.path, 'device'), '--model', 'mclea', '--backend', 'cpu', '--kernels', 'device', '--epochs', '2', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect([res.backend, res.kernelPath, res.hostReadsPerStep]).toEqual(['cpu', 'device', 0]);
    expect(r.stderr).toContain('backend cpu, device path (tfjs ops on the backend)');
    const bad = await mmea('train', '--data', DEMO_DATASET, '--out', join(tmp.path, 'bad'), '--kernels', 'gpu', '--epochs', '1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--kernels must be one of auto, host, device, not 'gpu'");
  });

  // reported as skipped without an adapter (skipWithout makes that an error on CI)
  it.skipIf(!webgpu)('--backend webgpu: a whole run on a device backend with no synchronous read (evaluation, proposals)', async () => {
    const dir = join(tmp.path, 'webgpu');
    const r = await mmea('train', '--data', DEMO_DATASET, '--out', dir, '--model', 'mclea', '--backend', 'webgpu', '--epochs', '4', '--check-point', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect([res.backend, res.kernelPath, res.hostReadsPerStep]).toEqual(['webgpu', 'device', 0]);
    const evaluations = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'evaluation');
    expect(evaluations.map((e) => e.epoch)).toEqual([2, 4]);
    expect(res.result.last.epoch).toBe(4);
    expect(res.result.last.mean.mrr).toBeGreaterThan(0);
    const p = await mmea('propose', '--data', DEMO_DATASET, '--checkpoint', join(dir, 'checkpoints', 'last'), '--out', join(dir, 'proposals.jsonl'), '--backend', 'webgpu', '--k', '2', '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(readFileSync(join(dir, 'proposals.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(1);
  });

  it('trains on a dataset folder and prints the documented result as the last JSON line', async () => {
    const r = await mmea('train', '--data', DEMO_DATASET, '--out', out, '--epochs', '8', '--check-point', '4', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1); // --json: standard output is JSON only
    const res = JSON.parse(lines[0]!);
    expect(Object.keys(res).sort()).toEqual(['backend', 'epochs', 'hostReadsPerStep', 'kernelPath', 'peakRssMB', 'pseudoLabels', 'result', 'run', 'secondsPerEpoch', 'threads', 'wallSeconds']);
    expect(res.epochs).toBe(8);
    expect(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']).toContain(res.backend);
    // auto: the host kernels on a CPU backend, which read their inputs
    expect(res.kernelPath).toBe(res.backend === 'wasm' || res.backend === 'cpu' ? 'host' : 'device');
    if (res.kernelPath === 'host') expect(res.hostReadsPerStep).toBeGreaterThan(0);
    for (const k of ['validationSelected', 'bestOnTest', 'last']) {
      const m = res.result[k];
      expect([4, 8]).toContain(m.epoch);
      for (const dir of ['mean', 'l2r', 'r2l']) expect(Object.keys(m[dir]).sort()).toEqual(['hits1', 'hits10', 'hits5', 'mr', 'mrr']);
      expect(m.mean.hits1).toBeCloseTo((m.l2r.hits1 + m.r2l.hits1) / 2, 10);
    }
    expect(res.result.last.epoch).toBe(8);
    // progress on stderr as JSON lines
    expect(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => 'epoch' in l),
    ).toHaveLength(8);
  });

  it('evaluates the saved checkpoint to the same figures, and writes proposals', async () => {
    const trained = JSON.parse((await mmea('train', '--data', DEMO_DATASET, '--out', out, '--resume', '--epochs', '8', '--json')).stdout);
    expect(trained.epochs).toBe(8); // nothing left to do after resuming a finished run
    const e = await mmea('eval', '--data', DEMO_DATASET, '--checkpoint', join(out, 'checkpoints', 'last'), '--json');
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.epoch).toBe(8);
    expect(ev.test.mean.mrr).toBeCloseTo(trained.result.last.mean.mrr, 6);
    const file = join(tmp.path, 'proposals.jsonl');
    const p = await mmea('propose', '--data', DEMO_DATASET, '--checkpoint', join(out, 'checkpoints', 'last'), '--out', file, '--k', '5', '--json');
    expect(p.code).toBe(0);
    const [header, ...rows] = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(header).toMatchObject({ format: 'mmea-studio-proposals', k: 5, modalities: ['gph', 'rel', 'att'] });
    expect(rows).toHaveLength(header.queries);
    expect(rows.length).toBe(340 - 54); // KG1 entities outside the 54 training pairs
    for (const row of rows.slice(0, 20)) {
      expect(row.candidates).toHaveLength(5);
      const scores = row.candidates.map((c: { score: number }) => c.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(Object.keys(row.candidates[0].modalities)).toEqual(['gph', 'rel', 'att']);
      // entities named as a curator reads them: id, URI and label, never an internal row number
      expect(Object.keys(row.source).sort()).toEqual(['id', 'label', 'uri']);
      expect(row.source.uri).toMatch(/^\/m\//); // FB15K ids
      expect(row.candidates[0].uri).toMatch(/^<http:\/\/dbpedia\.org\/resource\//);
      expect(row.candidates[0].label).not.toBe('');
      expect(row.candidates[0]).not.toHaveProperty('row');
      expect(row.confidence).toBeLessThanOrEqual(row.margin);
    }
  });

  it('evaluates a checkpoint on the split it was trained on: no flags give the logged figures exactly; a flag that differs is refused', async () => {
    const run = join(tmp.path, 'rate30');
    const trained = await mmea('train', '--data', DEMO_DATASET, '--out', run, '--rate', '0.3', '--epochs', '4', '--check-point', '4', '--json');
    expect(trained.code).toBe(0);
    const logged = readFileSync(join(run, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'evaluation')
      .at(-1);
    const ck = join(run, 'checkpoints', 'last');
    // no --data, no --rate: the checkpoint's own data and 30 % split (the default 20 % one would put
    // training pairs into the test part)
    const e = await mmea('eval', '--checkpoint', ck, '--json');
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.epoch).toBe(logged.epoch);
    expect({ valid: ev.valid, test: ev.test }).toEqual({ valid: logged.valid, test: logged.test });
    expect(ev.test.pairs).toBe(logged.test.pairs);
    // a conflicting flag names both values
    const bad = await mmea('eval', '--checkpoint', ck, '--rate', '0.2', '--json');
    expect(bad.code).toBe(2);
    expect(bad.stderr + bad.stdout).toMatch(/--rate 0\.2 conflicts with the checkpoint's 0\.3/);
    // the same data elsewhere is fine; data that now splits otherwise is refused
    const moved = join(tmp.path, 'moved');
    cpSync(DEMO_DATASET, moved, { recursive: true });
    expect((await mmea('eval', '--checkpoint', ck, '--data', moved, '--json')).code).toBe(0);
    const links = readFileSync(join(moved, 'ill_ent_ids'), 'utf8').trim().split('\n');
    writeFileSync(join(moved, 'ill_ent_ids'), [...links.slice(1), links[0]].join('\n') + '\n');
    const changed = await mmea('eval', '--checkpoint', ck, '--data', moved, '--json');
    expect(changed.code).toBe(1);
    expect(changed.stdout + changed.stderr).toMatch(/now gives another split .* than the one .* was trained on/);
  });

  it('refuses bad options with exit code 2, naming the flag and its model', async () => {
    expect((await mmea('train', '--data', DEMO_DATASET, '--out', out, '--without', '9')).code).toBe(2);
    expect((await mmea('train', '--data', DEMO_DATASET)).code).toBe(2);
    const other = await mmea('train', '--data', DEMO_DATASET, '--out', out, '--model', 'mclea', '--experts', '3');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--experts is an option of humea, not of mclea');
    const unknown = await mmea('train', '--data', DEMO_DATASET, '--out', out, '--model', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`unknown model nope (${MODEL_IDS.join(', ')})`);
    const bad = await mmea('train', '--data', DEMO_DATASET, '--out', out, '--model', 'mclea', '--projection', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--projection: .*>=1/);
  });

  it('lists the models with their options, and trains the one asked for with its flags (a switch turned off by --no-)', async () => {
    const listed = await mmea('models', '--json');
    expect(listed.code).toBe(0);
    const models = JSON.parse(listed.stdout) as { id: string; options: { key: string; flag: string; default: unknown }[] }[];
    expect(models.map((m) => m.id)).toEqual(MODEL_IDS);
    const mclea = models.find((m) => m.id === 'mclea')!;
    expect(mclea.options.find((o) => o.key === 'batchSize')).toMatchObject({ flag: 'bsize', default: 512 });
    expect(mclea.options.find((o) => o.key === 'recreateOptimizer')).toMatchObject({ flag: 'recreate-optimizer', default: true });
    const run = join(tmp.path, 'mclea-run');
    const r = await mmea('train', '--data', DEMO_DATASET, '--out', run, '--model', 'mclea', '--epochs', '2', '--check-point', '2', '--no-recreate-optimizer', '--json');
    expect(r.code).toBe(0);
    const runJson = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(runJson).toMatchObject({ model: 'mclea', options: { model: 'mclea', recreateOptimizer: false, projection: 100, epochs: 2 } });
    // its checkpoint cannot be evaluated as another model's
    const wrong = await mmea('eval', '--checkpoint', join(run, 'checkpoints', 'last'), '--model', 'humea');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--model humea conflicts with the saved run's model mclea");
    expect((await mmea('eval', '--checkpoint', join(run, 'checkpoints', 'last'), '--json')).code).toBe(0);
  });
});

describe('mmea experiments', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const plan = join(ROOT, 'plans', 'demo.json');

  it.each(readdirSync(join(ROOT, 'plans')).filter((f) => f.endsWith('.json')))('expands the shipped plan %s: every option a train option', async (file) => {
    const r = await mmea('experiments', join(ROOT, 'plans', file), '--out', join(tmp.path, 'dry'), '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(0);
  });

  it('runs a plan (sweep expanded, two seeds) and summarises mean ± std over seeds; a rerun reuses the runs', async () => {
    const out = join(tmp.path, 'exp');
    const r = await mmea('experiments', plan, '--out', out, '--json');
    expect(r.code).toBe(0);
    const { runs } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(runs.map((x: { label: string }) => x.label)).toEqual(['HUMEA', 'al_loss 0.01', 'al_loss 1']);
    for (const row of runs) {
      expect(row.seeds).toEqual([1, 2]);
      const dir = join(out, row.label.replace(/[^A-Za-z0-9.=-]+/g, '_'));
      const results = [1, 2].map((s) => JSON.parse(readFileSync(join(dir, `seed-${s}`, 'result.json'), 'utf8')));
      const h1 = results.map((x) => x.result.validationSelected.mean.hits1);
      const mean = (h1[0] + h1[1]) / 2;
      expect(row.metrics.validationSelected.hits1.mean).toBeCloseTo(mean, 10);
      expect(row.metrics.validationSelected.hits1.std).toBeCloseTo(Math.abs(h1[0] - h1[1]) / Math.SQRT2, 10);
      expect(row.metrics.last.epoch.mean).toBe(4);
      const runJson = JSON.parse(readFileSync(join(dir, 'seed-2', 'run.json'), 'utf8'));
      expect(runJson.options.seed).toBe(2);
      if (row.label === 'al_loss 1') expect(runJson.options.alLoss).toBe(1);
    }
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('| run | seeds | epoch | H@1 | H@5 | H@10 | MRR | MR | s/epoch |');
    expect(md).toMatch(/\| al_loss 1 \| 2 \| 4 ± 0 \| \d\.\d{3} ± \d\.\d{3} \|/);
    // rerun: every run has its result.json, so nothing is trained again and the summary is the same
    const again = await mmea('experiments', plan, '--out', out, '--json');
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout.trim()).runs).toEqual(runs);
  });

  it('runs a leaderboard plan: every registered model on the same data and split, in one table', async () => {
    const out = join(tmp.path, 'board');
    const board = join(tmp.path, 'board.json');
    writeFileSync(board, JSON.stringify({ data: DEMO_DATASET, seeds: [1], models: 'all', options: { epochs: 2, 'check-point': 2 }, runs: [{ label: 'demo · {model}' }] }));
    const r = await mmea('experiments', board, '--out', out, '--json');
    expect(r.code).toBe(0);
    const { runs } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(runs.map((x: { label: string }) => x.label)).toEqual(MODEL_IDS.map((id) => `demo · ${MODELS[id].title}`));
    const splits = MODEL_IDS.map((id) => {
      const run = JSON.parse(readFileSync(join(out, `demo_${MODELS[id].title}`, 'seed-1', 'run.json'), 'utf8'));
      expect(run.options.model).toBe(id);
      expect(run.model).toBe(id);
      return run.split;
    });
    expect(new Set(splits.map((x) => JSON.stringify(x))).size).toBe(1); // the same split for every model
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('| run | seeds | validation-selected H@1 | H@10 | MRR | best-on-test H@1 | MRR | last H@1 | MRR | s/epoch | peak RSS MB |');
    for (const id of MODEL_IDS) expect(md).toMatch(new RegExp(`\\| demo · ${MODELS[id].title} \\| 1 \\| \\d\\.\\d{3} \\|`));
    // a model the engine does not have is named
    writeFileSync(board, JSON.stringify({ data: DEMO_DATASET, models: ['humea', 'nope'], runs: [{ label: 'x' }] }));
    const bad = await mmea('experiments', board, '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/models/);
  });

  it('resumes a run that stopped before its epochs instead of reusing its result', async () => {
    const out = join(tmp.path, 'stopped');
    const one = join(tmp.path, 'one.json');
    writeFileSync(one, JSON.stringify({ data: DEMO_DATASET, seeds: [1], options: { epochs: 4, 'check-point': 2 }, runs: [{ label: 'r' }] }));
    expect((await mmea('experiments', one, '--out', out, '--json')).code).toBe(0);
    // as if stopped with Ctrl-C at epoch 4 of 6: result.json exists, the run's options ask for more
    writeFileSync(one, JSON.stringify({ data: DEMO_DATASET, seeds: [1], options: { epochs: 6, 'check-point': 2 }, runs: [{ label: 'r' }] }));
    const runJson = join(out, 'r', 'seed-1', 'run.json');
    writeFileSync(runJson, JSON.stringify({ ...JSON.parse(readFileSync(runJson, 'utf8')), options: { ...JSON.parse(readFileSync(runJson, 'utf8')).options, epochs: 6 } }));
    const again = await mmea('experiments', one, '--out', out, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'r', 'seed-1', 'result.json'), 'utf8')).epochs).toBe(6);
    expect(JSON.parse(again.stdout.trim()).runs[0].metrics.last.epoch.mean).toBe(6);
  });

  it('names the problem of a bad plan and exits 2', async () => {
    const bad = join(tmp.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ data: '.', runs: [{ label: 'x', options: { 'no-such-option': 1 } }] }));
    const r = await mmea('experiments', bad, '--out', join(tmp.path, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-option');
    writeFileSync(bad, JSON.stringify({ runs: [] }));
    const r2 = await mmea('experiments', bad, '--out', join(tmp.path, 'x'));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('runs');
    // labels that differ only in what a folder name leaves out would share a run folder (the second
    // would take the first's results for its own): refused before anything runs
    writeFileSync(
      bad,
      JSON.stringify({
        data: '.',
        runs: [
          { label: 'θ 0.5', options: { theta: 0.5 } },
          { label: 'α 0.5', options: { alpha: 0.5 } },
        ],
      }),
    );
    const r3 = await mmea('experiments', bad, '--out', join(tmp.path, 'x'));
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('runs "θ 0.5" and "α 0.5" would share the folder 0.5');
  });
});

describe('mmea encode-images', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('computes image vectors with the bundled offline model that the dataset then imports; bad lines and images are named', async () => {
    const dir = join(tmp.path, 'demo');
    cpSync(DEMO_DATASET, dir, { recursive: true });
    const colour = (r: number, g: number, b: number, w = 320) => sharp({ create: { width: w, height: 240, channels: 3, background: { r, g, b } } }).png();
    await colour(200, 30, 30).toFile(join(dir, 'red.png'));
    await colour(200, 30, 30, 500).toFile(join(dir, 'red-wide.png')); // same colour, other shape
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite([{ input: Buffer.from('<svg width="64" height="64"><circle cx="32" cy="32" r="24" fill="white"/></svg>') }])
      .jpeg()
      .toFile(join(dir, 'circle.jpg'));
    writeFileSync(join(dir, 'broken.jpg'), 'not an image');
    // entities by integer id (the id format): KG1 0, 1, 2 and KG2 340, 341
    writeFileSync(join(dir, 'image_files.tsv'), '1\t0\tred.png\n1\t1\tcircle.jpg\n1\t2\tbroken.jpg\n2\t340\tred-wide.png\nnot a line\n2\t341\tcircle.jpg\n');
    const r = await mmea('encode-images', dir, '--json');
    expect(r.code).toBe(1); // line 5 is malformed: reported as an error, the rest encoded
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ images: 5, encoded: 4, dims: 1280 });
    expect(res.problems.map((p: { line: number; severity: string }) => [p.line, p.severity])).toEqual([
      [5, 'error'],
      [3, 'warning'],
    ]);
    const vec = new Float32Array(readFileSync(join(dir, 'image_vectors.f32')).buffer.slice(0));
    expect(vec.length).toBe(4 * 1280);
    const row = (k: number) => vec.subarray(k * 1280, (k + 1) * 1280);
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    expect(vec.every(Number.isFinite)).toBe(true);
    expect(cos(row(1), row(3))).toBeCloseTo(1, 5); // the same file twice: the same vector
    expect(cos(row(0), row(2))).toBeGreaterThan(cos(row(0), row(1))); // red is nearer red than a circle
    expect(readFileSync(join(dir, 'image_index.tsv'), 'utf8')).toBe('1\t0\t0\n1\t1\t1\n2\t340\t2\n2\t341\t3\n');
    // the folder now carries image vectors: inspect counts them per graph
    const { json } = await inspect(dir);
    expect(json.graphs.map((g) => g.images)).toEqual([2, 2]); // KG1's entity 2 has only the unreadable file
  });
});

describe('the command line explains itself', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const COMMANDS = ['inspect', 'import', 'open', 'encode-images', 'train', 'eval', 'propose', 'experiments', 'verdicts', 'simulate', 'export'];

  it('answers --help on every command with its usage, exit 0', async () => {
    for (const c of COMMANDS) {
      const r = await mmea(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain(c === 'inspect' || c === 'import' || c === 'open' || c === 'encode-images' ? `${c} <` : `${c} `);
    }
    expect((await mmea('--help')).code).toBe(0);
    const train = (await mmea('train', '-h')).stdout;
    expect(train).toContain('--epochs');
    // a shared option whose default is a model's own is listed again under that model, with it
    const loginmea = train.slice(train.indexOf(' loginmea (LoginMEA):'));
    expect(loginmea).toMatch(/--bsize N +seed pairs per batch \(3500\)/);
    expect(loginmea).toMatch(/--il-start N +first epoch of iterative pseudo-labelling \(50\)/);
    expect(loginmea).not.toContain('--seed N');
  });

  it('suggests the command meant by a mistyped one', async () => {
    const r = await mmea('trian', '--data', DEMO_DATASET);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'trian'; did you mean 'train'?");
    expect((await mmea('exprot')).stderr).toContain("did you mean 'export'?");
    expect((await mmea('frobnicate')).stderr).toMatch(/unknown command 'frobnicate'\n/);
  });

  it('says plainly when a folder is missing or a file was given for a folder', async () => {
    const missing = join(tmp.path, 'nope');
    const file = join(ROOT, 'README.md');
    for (const args of [
      ['inspect', missing],
      ['import', missing, '--project', join(tmp.path, 'p')],
      ['train', '--data', missing, '--out', join(tmp.path, 'run')],
      ['open', missing],
    ]) {
      const r = await mmea(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^mmea: ${missing}: no such folder \\(expected a (dataset|project) folder\\)`));
    }
    for (const args of [
      ['inspect', file],
      ['verdicts', '--project', file],
      ['export', '--project', file, '--out', join(tmp.path, 'x')],
    ]) {
      const r = await mmea(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/: is a file, not a folder \(expected a (dataset|project) folder\)/);
    }
  });

  it('npm run app takes the options the README lists: --help, --home, --json, --browser, and refuses a wrong --project plainly', async () => {
    const start = join(ROOT, 'scripts', 'start.mjs');
    const help = await run(process.execPath, [start, '--help']);
    for (const o of ['--browser', '--port', '--project', '--home', '--json']) expect(help.stdout).toContain(o);
    const bad = await run(process.execPath, [start, '--project', join(tmp.path, 'nope')]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('no such folder') });
    // a real start in browser mode with its own home: one JSON line with the URL, the demo imported there
    const home = join(tmp.path, 'home');
    // (--no-build: the suite built once; rebuilding out/ here would race the tests running beside it)
    const child = spawn(process.execPath, [start, '--browser', '--home', home, '--json', '--no-build'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MMEA_SKIP_ELECTRON: '1' } });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const json = out.split('\n').find((l) => l.startsWith('{'));
          if (json) resolve(json);
        });
        child.once('exit', (code) => reject(new Error(`npm run app exited with ${code}: ${out}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);
});
