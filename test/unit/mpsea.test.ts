// MPSEA as a model (src/engine/models/mpsea/README.md): its tokens and weights, the late joint, and
// the ablation switches of its Tables 5–6 doing what they say. Its parts have their own tests
// (mmpf, cprl, multiweight-gat, numbers); the conformance suite trains it.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import type { MpseaModel } from '../../src/engine/models/mpsea';
import { createModel } from '../../src/engine/models/registry';
import { l2normalize } from '../../src/engine/nn/ops';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { optionsOf } from '../../src/shared/models';
import { DEMO_DATASET, stepLoss } from '../helpers';

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});
const model = (o: Record<string, unknown> = {}) => createModel(features, optionsOf({ model: 'mpsea', hidden: 10, batchSize: 64, ...o })) as MpseaModel;
const plan = () => {
  const rows = features.split.train;
  const n = rows.length / 2;
  return { epoch: 1, rows: Int32Array.from([...Array.from({ length: n }, (_, i) => rows[2 * i]!), ...Array.from({ length: n }, (_, i) => rows[2 * i + 1]!)]), batches: [[0, n]] as [number, number][] };
};

describe('MPSEA', () => {
  it("fuses structure, relations, attributes and numbers; each entity's weights; the late joint concatenates them", () => {
    const m = model();
    try {
      expect(m.present).toEqual(['gph', 'rel', 'att', 'num']);
      tf.tidy(() => {
        const f = m.encoder.forward(null);
        const w = f.weights.arraySync();
        for (const r of w) expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(new Set(w.map((r) => r[0]!.toFixed(5))).size).toBeGreaterThan(1);
        const want = tf.concat(
          m.present.map((mod, k) => tf.mul(l2normalize(f.late.get(mod)!), tf.slice(f.weights, [0, k], [-1, 1]))),
          1,
        );
        expect(tf.max(tf.abs(tf.sub(f.joint, want))).dataSync()[0]!).toBeLessThan(1e-6);
        // evaluation by chunks of rows equals one forward of every row
        expect(tf.max(tf.abs(tf.sub(m.encoder.forwardAll(100).joint, f.joint))).dataSync()[0]!).toBeLessThan(1e-5);
      });
    } finally {
      m.dispose();
    }
  });

  it('the switches: repl. GAT, w/o CPRL, w/o MMPF and its parts, and both CPRL readings', () => {
    const names = (o: Record<string, unknown>) => {
      const m = model(o);
      const keys = [...m.params.keys()];
      m.dispose();
      return keys;
    };
    expect(names({}).filter((k) => k.endsWith('wLeft'))).toEqual(['gat0.wLeft', 'gat1.wLeft']);
    expect(names({ multiWeight: false }).some((k) => k.endsWith('wLeft'))).toBe(false);
    expect(names({}).filter((k) => k.startsWith('policy'))).toEqual(['policy.W', 'policy.b']);
    expect(names({ cprl: 'off' }).some((k) => k.startsWith('policy'))).toBe(false);
    // the prefix and the plain block change the weights
    const weights = (mmpf: string) => {
      const m = model({ mmpf });
      const w = tf.tidy(() => m.encoder.forward(null).weights.arraySync().flat());
      m.dispose();
      return w;
    };
    const full = weights('full');
    for (const other of ['no-gph', 'off']) expect(Math.max(...weights(other).map((v, k) => Math.abs(v - full[k]!)))).toBeGreaterThan(1e-4);
    // no images in the demo: w/o MMPF-img is MPSEA itself
    expect(weights('no-img')).toEqual(full);
    // one step of each CPRL reading: the loss differs from w/o CPRL by the term
    const loss = (cprl: string) => {
      const m = model({ cprl });
      const l = stepLoss(m, plan());
      m.dispose();
      return l;
    };
    const [off, literal, reinforce] = [loss('off'), loss('literal'), loss('reinforce')];
    expect(literal).not.toBeCloseTo(off, 4);
    expect(reinforce).not.toBeCloseTo(off, 4);
  });
});
