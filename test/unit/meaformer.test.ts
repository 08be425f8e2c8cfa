// MEAformer's own parts (src/engine/models/meaformer/README.md): its loss op against the formula in
// tfjs ops, the per-step schedule and the iterative stage as the reference runs them, the encoder's
// weights and joint, and the ablation switches.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { disposeEmbeddings } from '../../src/engine/models/embeddings';
import type { MeaformerModel } from '../../src/engine/models/meaformer';
import { meaformerLoss } from '../../src/engine/models/meaformer/loss';
import { Meaformer } from '../../src/engine/models/meaformer/model';
import { createModel } from '../../src/engine/models/registry';
import { icl } from '../../src/engine/nn/losses';
import { l2normalize } from '../../src/engine/nn/ops';
import { cosineWithWarmup } from '../../src/engine/nn/schedule';
import { mulberry32 } from '../../src/engine/random';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { optionsOf } from '../../src/shared/models';
import { meaformerOptions } from '../../src/shared/models/meaformer';
import { nativeAddonPath, nativeDenseOn } from '../../src/engine/runtime/native';
import { DEMO_DATASET, skipWithout, stepLoss } from '../helpers';

const denseBuilt = !skipWithout('the native dense addon (npm run setup builds it): the loss op is checked on tfjs only', nativeAddonPath('dense') !== null);

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});
const rand = mulberry32(11);
const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

describe('MEAformer', () => {
  it("computes its loss op's value and every gradient as the formula in tfjs ops", () => {
    const size = 7;
    const t = (d: number) => tf.tensor2d(randn(2 * size * d), [2 * size, d]);
    const joint = t(12);
    // slots [gph, rel, att, img, name, char]: three modalities present, three output tokens
    const mods = [t(4), t(4), t(4), null, null, null];
    const hidden = [t(4), t(4), t(4), null, null, null];
    const s = tf.tensor1d(randn(6));
    const inputs = [joint, ...mods.filter((x) => x !== null), ...hidden.filter((x) => x !== null), s] as tf.Tensor[];
    // the formula in tfjs ops (the device backends' path), written again here from methods.md §2.3
    const pair = (x: tf.Tensor2D) => icl(tf.slice(x, [0, 0], [size, -1]), tf.slice(x, [size, 0], [size, -1]), 0.1);
    const reference = (...xs: tf.Tensor[]) => {
      const [j, m0, m1, m2, h0, h1, h2, sv] = xs as tf.Tensor2D[];
      const group = (byslot: (tf.Tensor2D | null)[]) => {
        let sum: tf.Tensor = tf.sum(sv!);
        byslot.forEach((x, k) => x && (sum = tf.add(sum, tf.mul(tf.exp(tf.neg(tf.slice(sv!, k, 1))), pair(x)))));
        return sum;
      };
      return tf.sum(tf.add(pair(j!), tf.add(group([m0!, m1!, m2!, null, null, null]), group([h0!, h1!, h2!, null, null, null])))) as tf.Scalar;
    };
    const ours =
      (kernel: 'auto' | 'tfjs') =>
      (...xs: tf.Tensor[]) => {
        const [j, m0, m1, m2, h0, h1, h2, sv] = xs as tf.Tensor2D[];
        return meaformerLoss(
          j!,
          [
            [m0!, m1!, m2!, null, null, null],
            [h0!, h1!, h2!, null, null, null],
          ],
          sv as unknown as tf.Tensor1D,
          size,
          0.1,
          kernel,
        );
      };
    if (denseBuilt) expect(nativeDenseOn('wasm')).not.toBeNull(); // 'auto' is then the native op
    // without the hidden ICL the second group is absent: no ICLs and no s_k of its own
    const oneGroup = tf.tidy(() => meaformerLoss(joint, [mods, []], s, size, 0.1).dataSync()[0]!);
    const wantOne = tf.tidy(() => {
      let sum: tf.Tensor = tf.add(pair(joint), tf.sum(s));
      mods.forEach((x, k) => x && (sum = tf.add(sum, tf.mul(tf.exp(tf.neg(tf.slice(s, k, 1))), pair(x)))));
      return tf.sum(sum).dataSync()[0]!;
    });
    expect(oneGroup).toBeCloseTo(wantOne, 4);
    const want = tf.valueAndGrads(reference)(inputs);
    for (const kernel of ['auto', 'tfjs'] as const) {
      const got = tf.valueAndGrads(ours(kernel))(inputs);
      expect(got.value.dataSync()[0]!).toBeCloseTo(want.value.dataSync()[0]!, 4);
      got.grads.forEach((g, k) => {
        const w = want.grads[k]!.dataSync();
        g.dataSync().forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 4));
      });
    }
  });

  it('steps once per batch with the cosine schedule from zero, clipped; its iterative stage restarts at lr/5', () => {
    // 64 pairs per batch: the demo's 54 training pairs are one step per epoch
    const o = { model: 'meaformer' as const, hidden: 8, batchSize: 64, epochs: 10, lr: 0.01 };
    const model = createModel(features, optionsOf(o)) as MeaformerModel;
    const iterative = createModel(features, optionsOf({ ...o, iterative: 'mnn', ilStart: 4 })) as MeaformerModel;
    try {
      const rows = features.split.train;
      const n = rows.length / 2;
      const plan = (epoch: number) => ({
        epoch,
        rows: Int32Array.from([...Array.from({ length: n }, (_, i) => rows[2 * i]!), ...Array.from({ length: n }, (_, i) => rows[2 * i + 1]!)]),
        batches: [[0, n]] as [number, number][],
      });
      const lrs: number[] = [];
      const before = new Map([...model.params].map(([k, v]) => [k, Array.from(v.dataSync())]));
      for (let e = 0; e < 3; e++) {
        model.step(plan(e)).dispose();
        lrs.push(model.optimizer.options.lr);
      }
      // 10 epochs × 1 step, int(1.5) = 1 warm-up step: the first step's factor is 0, then the cosine
      expect(lrs).toEqual([0, 1, 2].map((k) => 0.01 * cosineWithWarmup(k, 10, 0.15)));
      expect(lrs[0]).toBe(0);
      // every parameter moved (the first step only by weight decay × 0: none; after three, all)
      for (const [k, v] of model.params) expect(Array.from(v.dataSync()), k).not.toEqual(before.get(k));
      for (let e = 0; e < 5; e++) iterative.step(plan(e)).dispose();
      // stage 2 from epoch 4: a new optimizer (one step taken), lr/5, schedule over 3 × 6 epochs
      expect(iterative.optimizer.step).toBe(1);
      expect(iterative.optimizer.options.lr).toBeCloseTo((0.01 / 5) * cosineWithWarmup(0, 18, 0.15), 12);
    } finally {
      model.dispose();
      iterative.dispose();
    }
  });

  it("weighs each entity's modalities by the attention they receive, and concatenates them into the joint", () => {
    const enc = new Meaformer(features, meaformerOptions.parse({ hidden: 8 }));
    try {
      // the reference's token order [img, att, rel, gph]: no images in the demo
      expect(enc.present).toEqual(['att', 'rel', 'gph']);
      tf.tidy(() => {
        const f = enc.forward(null);
        const w = f.weights.arraySync();
        expect(new Set(w.map((r) => r.map((x) => x.toFixed(5)).join())).size).toBeGreaterThan(1);
        for (const r of w) expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        // joint = [w_att n(att) ‖ w_rel n(rel) ‖ w_gph n(gph)]
        const want = tf.concat(
          enc.present.map((m, k) => tf.mul(l2normalize(f.mods.get(m)!), tf.slice(f.weights, [0, k], [-1, 1]))),
          1,
        );
        expect(tf.max(tf.abs(tf.sub(f.joint, want))).dataSync()[0]!).toBeLessThan(1e-6);
        // evaluation by chunks of rows equals one forward of every row
        const all = enc.forwardAll(100);
        expect(tf.max(tf.abs(tf.sub(all.joint, f.joint))).dataSync()[0]!).toBeLessThan(1e-5);
      });
    } finally {
      enc.dispose();
    }
  });

  it('the ablations: global weights are one per modality; without the hidden ICL the output tokens train nothing', () => {
    const global = createModel(features, optionsOf({ model: 'meaformer', hidden: 8, batchSize: 64, weighting: 'global' }));
    try {
      const emb = global.embeddings();
      const w = emb.entityWeights!.weights.arraySync();
      for (const r of w) r.forEach((x, k) => expect(x).toBeCloseTo(w[0]![k]!, 6));
      disposeEmbeddings(emb);
      expect(global.params.has('fusion.w')).toBe(true);
    } finally {
      global.dispose();
    }
    const plain = createModel(features, optionsOf({ model: 'meaformer', hidden: 8, batchSize: 64 })) as MeaformerModel;
    const noHidden = createModel(features, optionsOf({ model: 'meaformer', hidden: 8, batchSize: 64, hiddenIcl: false })) as MeaformerModel;
    try {
      const rows = features.split.train;
      const n = rows.length / 2;
      const plan = {
        epoch: 1,
        rows: Int32Array.from([...Array.from({ length: n }, (_, i) => rows[2 * i]!), ...Array.from({ length: n }, (_, i) => rows[2 * i + 1]!)]),
        batches: [[0, n]] as [number, number][],
      };
      // the loss differs by the second group's terms (same initialisation: the same seed)
      expect(stepLoss(plain, plan)).not.toBeCloseTo(stepLoss(noHidden, plan), 3);
    } finally {
      plain.dispose();
      noHidden.dispose();
    }
  });
});
