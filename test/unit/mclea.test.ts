// MCLEA's own rules (src/engine/models/mclea/README.md): its parameters, the softmax over six fusion
// slots, and the reference's optimizer quirk from il-start on.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import type { McleaModel } from '../../src/engine/models/mclea';
import { initBackend } from '../../src/engine/runtime/tf';
import { Trainer } from '../../src/engine/training/trainer';
import { optionsOf } from '../../src/shared/models';
import { DEMO_DATASET } from '../helpers';

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});
const mclea = (o: Record<string, unknown> = {}) => new Trainer(features, optionsOf({ model: 'mclea', batchSize: 64, ...o }));

describe('MCLEA', () => {
  it('has a Linear(in → 100) with bias per feature modality and six fusion slots, uniform at first', async () => {
    const t = mclea();
    try {
      expect(t.model.present).toEqual(['gph', 'rel', 'att']);
      expect(t.model.params.get('rel.W')!.shape).toEqual([features.relationBow.cols, 100]);
      expect(t.model.params.get('att.b')!.shape).toEqual([100]);
      expect(t.model.params.get('fusion.w')!.shape).toEqual([6]);
      expect(t.model.params.has('img.W')).toBe(false); // the demo has no image vectors
      // softmax over six slots of ones: each present modality gets 1/6, the absent slots keep the rest
      for (const w of Object.values(await t.model.modalityWeights())) expect(w).toBeCloseTo(1 / 6, 6);
      const { joint, mods } = t.model.embeddings();
      expect(joint.shape).toEqual([features.rows, 300 + 100 + 100]);
      joint.dispose();
      for (const m of mods.values()) m.dispose();
    } finally {
      t.dispose();
    }
  });

  it('re-creates AdamW at lr/5 every epoch from il-start on, iterative or not, unless told not to', async () => {
    const quirk = mclea({ ilStart: 2 });
    const plain = mclea({ ilStart: 2, recreateOptimizer: false });
    try {
      for (const t of [quirk, plain]) for (let e = 0; e < 2; e++) await t.step();
      expect(quirk.model.optimizer.step).toBe(2);
      for (const t of [quirk, plain]) await t.step(); // epoch 2 = il-start
      expect(quirk.model.optimizer.step).toBe(1); // a new optimizer took one step
      expect(quirk.model.optimizer.options.lr).toBeCloseTo(5e-4 / 5, 12);
      await quirk.step();
      expect(quirk.model.optimizer.step).toBe(1);
      expect(plain.model.optimizer.step).toBe(3);
      expect(plain.model.optimizer.options.lr).toBe(5e-4);
      expect((quirk.model as McleaModel).options.iterative).toBe('off');
    } finally {
      quirk.dispose();
      plain.dispose();
    }
  });
});
