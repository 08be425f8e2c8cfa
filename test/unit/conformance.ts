// The conformance suite every registered model passes (shared/models MODEL_IDS), run three times: on
// the native kernels (conformance-native.test.ts), with MMEA_NATIVE=0 (conformance-tfjs.test.ts: the
// host kernels in TypeScript), and on the device path on the tfjs cpu backend
// (conformance-device.test.ts: every op a tfjs op on the backend, as on a GPU, and no host read in a
// training step).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import type { KgPair } from '../../src/engine/data/kg';
import { InputReport } from '../../src/engine/data/report';
import { pairNames } from '../../src/engine/curation/lexical';
import { proposals } from '../../src/engine/curation/propose';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { disposeEmbeddings } from '../../src/engine/models/embeddings';
import { setKernelPath, type KernelPath } from '../../src/engine/runtime/kernelPath';
import { hostReadCount, initBackend, tf, type BackendName } from '../../src/engine/runtime/tf';
import { loadCheckpoint, saveCheckpoint, snapshot } from '../../src/engine/training/checkpoint';
import { Trainer } from '../../src/engine/training/trainer';
import { MODEL_IDS, optionsOf, type ModelId } from '../../src/shared/models';
import { DEMO_DATASET, tempDir } from '../helpers';

/** Per-model settings of the suite's short runs. CLAMEA's epoch is MSNEA's, a pass over the relation
 *  triples in batches of 5,000: one step on the demo's 1,372 triples (and its seeds' swapped copies);
 *  batches of 128 make it a dozen, about FB15K-DB15K's proportion (123 steps of 5,000). */
const SHORT_RUN: Partial<Record<ModelId, Record<string, unknown>>> = { clamea: { transeBatch: 128 } };

/** How far above chance a short run's test H@1 must be. CLAMEA reads the structure through TransE and
 *  the attributes as character n-grams, no relation bag-of-words: on the demo's 54 seed pairs that is
 *  little signal — test H@1 .035 after these 30 epochs (.019–.029 at other seeds), where MCLEA with
 *  the attributes alone reaches .029 and with relations too .085 (its README, "The demo"). */
const ABOVE_CHANCE: Partial<Record<ModelId, number>> = { clamea: 5 };

/** read asynchronously, as every read here: webgpu has no synchronous one in Node */
const paramsOf = async (t: Trainer) => new Map(await Promise.all([...t.model.params].map(async ([k, v]) => [k, Array.from(await v.data())] as const)));

/** Where a suite runs: the backend, the kernel path, and per-model settings of its own (the cpu
 *  backend's products are plain JavaScript: the device suite runs LoginMEA narrower). */
export interface SuiteSetup {
  backend: BackendName;
  kernels: KernelPath;
  shortRun?: Partial<Record<ModelId, Record<string, unknown>>>;
  /** per test (the cpu backend's plain-JavaScript products take minutes where wasm's take seconds) */
  timeoutMs?: number;
  /** false for a backend whose sums are not bit-for-bit repeatable (webgpu: tfjs-backend-webgpu adds
   *  scattered values with float atomics, in whatever order the GPU's threads run): a resumed run
   *  cannot repeat the uninterrupted one's bits there, so the suite checks the restored state
   *  exactly and the next loss within the summation-order noise */
  deterministic?: boolean;
}

export function conformanceSuite(path: string, checkPath: () => void, setup: SuiteSetup = { backend: 'wasm', kernels: 'auto' }): void {
  let features: Features;
  let pair: KgPair;
  const tmp = tempDir();
  beforeAll(async () => {
    expect(await initBackend(setup.backend)).toBe(setup.backend);
    setKernelPath(setup.kernels);
    pair = await readDataset(DEMO_DATASET, new InputReport());
    features = buildFeatures(pair, DEFAULT_SETTINGS);
  });
  afterAll(() => tmp.cleanup());

  it(`runs on the ${path} path`, checkPath);

  describe.each(MODEL_IDS)('model %s', (id: ModelId) => {
    const options = () => optionsOf({ model: id, epochs: 30, checkPoint: 15, batchSize: 64, ...SHORT_RUN[id], ...setup.shortRun?.[id] });

    it(
      'lowers the loss and reaches Hits@1 far above chance; embeddings and weights have their shapes',
      async () => {
        const t = new Trainer(features, options());
        try {
          const losses: number[] = [];
          const result = await t.run({ onEpoch: (e) => losses.push(e.loss) });
          expect(losses).toHaveLength(30);
          expect(losses.every(Number.isFinite)).toBe(true);
          expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
          const test = features.split.test.length / 2;
          expect(result.last!.test!.mean.hits1).toBeGreaterThan((ABOVE_CHANCE[id] ?? 12) / test); // chance is 1/240
          expect(result.evaluations.map((e) => e.epoch)).toEqual([15, 30]);
          const emb = t.model.embeddings();
          const { joint, mods, concatenated, entityWeights } = emb;
          expect([...mods.keys()]).toEqual(t.model.present);
          for (const m of mods.values()) expect(m.shape[0]).toBe(features.rows);
          expect(joint.shape[0]).toBe(features.rows);
          // a weighted concatenation of the modalities is as wide as they are together
          if (concatenated) expect(joint.shape[1]).toBe([...mods.values()].reduce((s, m) => s + m.shape[1], 0));
          expect((await joint.data()).every(Number.isFinite)).toBe(true);
          if (entityWeights) {
            // a model's own per-entity weights: one row per entity, over modalities it has, summing to 1
            expect(entityWeights.weights.shape).toEqual([features.rows, entityWeights.modalities.length]);
            for (const m of entityWeights.modalities) expect(t.model.present).toContain(m);
            const sum = tf.sum(entityWeights.weights, 1);
            const sums = await sum.data();
            sum.dispose();
            for (const x of sums) expect(x).toBeCloseTo(1, 4);
          }
          disposeEmbeddings(emb);
          const w = await t.model.modalityWeights();
          expect(Object.keys(w)).toEqual(t.model.present);
          for (const x of Object.values(w)) expect(x).toBeGreaterThan(0);
        } finally {
          t.dispose();
        }
      },
      setup.timeoutMs,
    );

    it(
      'leaks no tensors across steps, evaluations and embeddings; a device step reads nothing to the host',
      async () => {
        const t = new Trainer(features, options());
        try {
          await t.step();
          await t.evaluation();
          const before = tf.memory().numTensors;
          const reads = hostReadCount();
          await t.step();
          // the trainer reads the epoch's loss, once; on the device path nothing else
          if (setup.kernels === 'device') expect(hostReadCount() - reads).toBe(1);
          await t.step();
          await t.evaluation();
          t.embed().dispose();
          expect(tf.memory().numTensors).toBe(before);
        } finally {
          t.dispose();
        }
      },
      setup.timeoutMs,
    );

    it(
      setup.deterministic === false ? 'restores a checkpoint exactly, and resumes with the next loss of the uninterrupted run' : 'resumes from a checkpoint exactly as the uninterrupted run goes on',
      async () => {
        const dir = join(tmp.path, `${id}-resume`);
        // il-start 2: a model's schedules that start there (MCLEA's optimizer quirk) run across the resume
        const o = { ...options(), ilStart: 2 };
        const a = new Trainer(features, o);
        const c = new Trainer(features, o);
        try {
          for (let e = 0; e < 4; e++) await a.step();
          await saveCheckpoint(dir, a);
          const saved = await snapshot(a);
          const continued = [await a.step(), await a.step(), await a.step()];
          await loadCheckpoint(dir, c);
          expect(c.epoch).toBe(4);
          // every parameter, optimizer moment and training pair as saved, on every backend
          expect((await snapshot(c)).data).toEqual(saved.data);
          const resumed = [await c.step(), await c.step(), await c.step()];
          if (setup.deterministic === false) {
            // the same state gives the same forward, up to the order of the backend's atomic sums
            expect(Math.abs(resumed[0]! - continued[0]!)).toBeLessThanOrEqual(1e-5 * Math.abs(continued[0]!));
          } else {
            expect(resumed).toEqual(continued);
            expect(await paramsOf(c)).toEqual(await paramsOf(a));
          }
        } finally {
          a.dispose();
          c.dispose();
        }
      },
      setup.timeoutMs,
    );

    it(
      "refuses another model's checkpoint by name",
      async () => {
        const other = MODEL_IDS.find((m) => m !== id);
        if (!other) return; // one model registered: nothing to confuse it with
        const dir = join(tmp.path, `${other}-for-${id}`);
        const a = new Trainer(features, optionsOf({ model: other }));
        const b = new Trainer(features, options());
        try {
          await saveCheckpoint(dir, a);
          await expect(loadCheckpoint(dir, b)).rejects.toThrow(new RegExp(`model '${other}', not '${id}'`));
        } finally {
          a.dispose();
          b.dispose();
        }
      },
      setup.timeoutMs,
    );

    it(
      'proposes candidates with evidence for every unaligned source',
      async () => {
        const t = new Trainer(features, options());
        try {
          for (let e = 0; e < 5; e++) await t.step();
          const file = join(tmp.path, `${id}-proposals.jsonl`);
          const names = pairNames(pair);
          const written = await proposals(t, 3, file, names);
          const [header, ...items] = readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
          expect(header.model).toBe(id);
          expect(header.modalities).toEqual(t.model.present);
          expect(items).toHaveLength(written.queries);
          for (const q of items) {
            expect(q.candidates).toHaveLength(3);
            for (const c of q.candidates) expect(Number.isFinite(c.score)).toBe(true);
          }
        } finally {
          t.dispose();
        }
      },
      setup.timeoutMs,
    );
  });
}
