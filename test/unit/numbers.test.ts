// Numbers as a modality (`num`): the sparse input whose product with [Γ; Z] is each entity's mean of
// v̂_k γ_{a_k} + ζ_{a_k} (models/modalities.ts numericInput), which models may fuse it, and a model
// trained with it.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { availableModalities, numericInput } from '../../src/engine/models/modalities';
import { mulberry32 } from '../../src/engine/random';
import { initBackend } from '../../src/engine/runtime/tf';
import { Trainer } from '../../src/engine/training/trainer';
import { modelOptionsInput, optionsOf } from '../../src/shared/models';
import { DEMO_DATASET } from '../helpers';

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});

describe('numbers as a modality', () => {
  it('is available when both graphs have numeric values', () => {
    expect(features.numericNames.some((n) => n.startsWith('KG1:'))).toBe(true);
    expect(features.numericNames.some((n) => n.startsWith('KG2:'))).toBe(true);
    expect(availableModalities(features)).toContain('num');
  });

  it("times [Γ; Z] gives each entity's mean of v̂ γ_a + ζ_a over its numeric values", () => {
    const csr = numericInput(features);
    const A = features.numericNames.length;
    const d = 3;
    const rand = mulberry32(5);
    const gamma = Array.from({ length: A }, () => Array.from({ length: d }, () => rand() - 0.5));
    const zeta = Array.from({ length: A }, () => Array.from({ length: d }, () => rand() - 0.5));
    const { row, attribute, value } = features.numeric;
    let checked = 0;
    for (let i = 0; i < features.rows; i++) {
      const ks = [...row.keys()].filter((k) => row[k] === i);
      const got = new Array<number>(d).fill(0);
      for (let e = csr.indptr[i]!; e < csr.indptr[i + 1]!; e++) {
        const c = csr.indices[e]!;
        const w = c < A ? gamma[c]! : zeta[c - A]!;
        w.forEach((x, j) => (got[j]! += csr.values[e]! * x));
      }
      if (ks.length === 0) {
        expect(csr.indptr[i + 1]).toBe(csr.indptr[i]); // no numbers: a zero row
        continue;
      }
      const want = new Array<number>(d).fill(0);
      for (const k of ks) for (let j = 0; j < d; j++) want[j]! += (value[k]! * gamma[attribute[k]!]![j]! + zeta[attribute[k]!]![j]!) / ks.length;
      want.forEach((x, j) => expect(got[j]!).toBeCloseTo(x, 5));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('is fused on request by the models with generic encoders, refused by those with fixed reference slots', () => {
    for (const model of ['humea', 'loginmea'] as const) expect(optionsOf({ model, modalities: ['gph', 'num'] }).modalities).toEqual(['gph', 'num']);
    for (const model of ['humea', 'mclea', 'loginmea', 'meaformer'] as const) expect(optionsOf({ model }).modalities).not.toContain('num');
    for (const model of ['mclea', 'meaformer'] as const) expect(modelOptionsInput.safeParse({ model, modalities: ['gph', 'num'] }).success).toBe(false);
  });

  it('trains HUMEA with the numbers beside the structure: they are fused and the loss falls', async () => {
    const t = new Trainer(features, optionsOf({ model: 'humea', modalities: ['gph', 'rel', 'num'], epochs: 10, checkPoint: 10, batchSize: 64 }));
    try {
      expect(t.model.present).toEqual(['gph', 'rel', 'num']);
      const losses: number[] = [];
      const result = await t.run({ onEpoch: (e) => losses.push(e.loss) });
      expect(losses.at(-1)!).toBeLessThan(losses[0]!);
      expect(Object.keys(result.last!.weights)).toEqual(['gph', 'rel', 'num']);
    } finally {
      t.dispose();
    }
  });
});
