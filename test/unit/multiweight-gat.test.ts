// MPSEA's multi-weight GAT through the model code: the op (ops.ts gatLayer with a left weight) hands
// the kernels' four gradients to tfjs, and the encoder (nn/gat.ts DiagGat) with `multiWeight` starts as
// the plain layer (both weights ones) and learns the left weight apart.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { DiagGat } from '../../src/engine/nn/gat';
import { gatBackward, gatForward, type AggGraph } from '../../src/engine/nn/kernels';
import { gatLayer } from '../../src/engine/nn/ops';
import { mulberry32 } from '../../src/engine/random';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { DEMO_DATASET } from '../helpers';

let features: Features;
beforeAll(async () => {
  await initBackend('wasm');
  features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
});
const rand = mulberry32(13);
const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

describe('multi-weight GAT', () => {
  it("hands the kernels' gradients for X, w, a and the left weight to tfjs", () => {
    const graph: AggGraph = { outputs: 3, self: Int32Array.from([2, 0, 1]), indptr: Int32Array.from([0, 2, 4, 6]), indices: Int32Array.from([2, 1, 0, 2, 1, 0]) };
    const [D, heads] = [4, 2];
    const [X, w, a, wl, dy] = [randn(3 * D), randn(heads * D), randn(heads * 2 * D), randn(heads * D), randn(3 * D)];
    const t = (x: Float32Array, r: number, c: number) => tf.tensor2d(x, [r, c]);
    const grads = tf.grads((x: tf.Tensor, ww: tf.Tensor, aa: tf.Tensor, l: tf.Tensor) =>
      tf.sum(tf.mul(gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, graph, undefined, '', l as tf.Tensor2D), t(dy, 3, D))),
    )([t(X, 3, D), t(w, heads, D), t(a, heads, 2 * D), t(wl, heads, D)]);
    const want = gatBackward(X, D, w, a, heads, graph, gatForward(X, D, w, a, heads, graph, wl), dy, wl);
    [want.dX, want.dw, want.da, want.dwLeft!].forEach((g, k) => grads[k]!.dataSync().forEach((v, i) => expect(v).toBeCloseTo(g[i]!, 5)));
  });

  it('starts as the plain layer (ones on both sides) and learns its left weight apart', () => {
    const make = (multiWeight: boolean) => {
      const params = new Map<string, tf.Variable>();
      const rand = mulberry32(1);
      const gat = new DiagGat(
        features,
        { hidden: 8, heads: 2, gatLayers: 2, multiWeight },
        (name, t) => {
          const v = tf.variable(t, true, `mw-test-${multiWeight}-${name}`);
          params.set(name, v);
          return v;
        },
        () => Math.floor(rand() * 2 ** 31),
      );
      return { gat, params };
    };
    const plain = make(false);
    const multi = make(true);
    expect([...multi.params.keys()].filter((k) => k.endsWith('wLeft'))).toEqual(['gat0.wLeft', 'gat1.wLeft']);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(plain.gat.forward(null), multi.gat.forward(null)))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-6);
    const vars = [...multi.params.values()];
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(multi.gat.forward(null))), vars);
    const left = grads[multi.params.get('gat1.wLeft')!.name]!;
    const right = grads[multi.params.get('gat1.w')!.name]!;
    // both weights get gradients, and they differ (the right one also carries the messages)
    expect(tf.max(tf.abs(left)).dataSync()[0]!).toBeGreaterThan(0);
    expect(tf.max(tf.abs(tf.sub(left, right))).dataSync()[0]!).toBeGreaterThan(0);
  });
});
