// The RREA layer's checks that run on both kernel paths: against the same layer written in plain
// tfjs ops (gather / segment sums, differentiated by tfjs on the cpu backend) and against finite
// differences. rrea.test.ts runs them on the native kernels where built, rrea-typescript.test.ts
// with MMEA_NATIVE=0.
import { expect } from 'vitest';
import { tripleCsr } from '../../src/engine/data/csr';
import { rreaLayer } from '../../src/engine/nn/ops';
import { relationGraph, relationSets, rreaForward, type RelationGraph } from '../../src/engine/nn/rrea';
import { mulberry32 } from '../../src/engine/random';
import { tf } from '../../src/engine/runtime/tf';

export /** The layer in plain tfjs ops: an edges × d tensor, fine for a test graph. */
function reference(H: tf.Tensor2D, rel: tf.Tensor2D, k: tf.Tensor1D, g: RelationGraph): tf.Tensor2D {
  const C = g.setPtr.length - 1;
  const seg = new Int32Array(g.setRels.length);
  for (let c = 0; c < C; c++) seg.fill(c, g.setPtr[c]!, g.setPtr[c + 1]!);
  const u = tf.unsortedSegmentSum(tf.gather(rel, g.setRels), tf.tensor1d(seg, 'int32'), C);
  const r = tf.div(u, tf.norm(u, 'euclidean', 1, true));
  const logit = tf.reshape(tf.matMul(r, tf.reshape(k, [-1, 1])), [C]);
  const dst = new Int32Array(g.src.length);
  for (let i = 0; i < g.rows; i++) dst.fill(i, g.indptr[i]!, g.indptr[i + 1]!);
  const dstT = tf.tensor1d(dst, 'int32');
  const ex = tf.exp(tf.gather(logit, g.set));
  const alpha = tf.div(ex, tf.gather(tf.unsortedSegmentSum(ex, dstT, g.rows), dstT));
  const hj = tf.gather(H, g.src);
  const rc = tf.gather(r, g.set);
  const m = tf.sub(hj, tf.mul(tf.mul(tf.sum(tf.mul(hj, rc), 1, true), 2), rc));
  return tf.tanh(tf.unsortedSegmentSum(tf.mul(tf.reshape(alpha, [-1, 1]), m), dstT, g.rows)) as tf.Tensor2D;
}

/** A random graph: `rows` rows, `relations` relations, `triples` triples (repeats and self-loops included). */
export function randomGraph(seed: number, rows: number, relations: number, triples: number): RelationGraph {
  const rand = mulberry32(seed);
  const t = new Int32Array(3 * triples);
  for (let n = 0; n < triples; n++) t.set([Math.floor(rand() * rows), Math.floor(rand() * relations), Math.floor(rand() * rows)], 3 * n);
  return relationGraph(
    rows,
    tripleCsr(rows, [t], (id) => id),
  );
}

/** The layer's output and its gradients (H, relation table, attention kernel) against `reference`. */
export function checkAgainstPlainOps(): void {
  const g = randomGraph(3, 30, 6, 90);
  const d = 7;
  const rand = mulberry32(11);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const H = tf.tensor2d(randn(g.rows * d), [g.rows, d]);
  const rel = tf.tensor2d(randn(g.relations * d), [g.relations, d]);
  const k = tf.tensor1d(randn(d));
  const w = tf.tensor2d(randn(g.rows * d), [g.rows, d]); // a random linear loss, so every gradient is non-trivial
  const loss = (f: typeof rreaLayer) => (h: tf.Tensor, r: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.mul(f(h as tf.Tensor2D, r as tf.Tensor2D, kk as tf.Tensor1D, g), w));
  const ours = tf.grads(loss(rreaLayer))([H, rel, k]);
  const want = tf.grads(loss(reference))([H, rel, k]);
  expect(Array.from(rreaLayer(H, rel, k, g).dataSync()).map((x, i) => Math.abs(x - reference(H, rel, k, g).dataSync()[i]!))).toSatisfy((xs: number[]) => Math.max(...xs) < 1e-5);
  ours.forEach((o, n) => {
    const a = o.dataSync();
    const b = want[n]!.dataSync();
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let x = 0; x < a.length; x++) worst = Math.max(worst, Math.abs(a[x]! - b[x]!) / (1e-3 + Math.abs(b[x]!)));
    expect(worst).toBeLessThan(1e-3);
    expect(Math.max(...Array.from(b, Math.abs))).toBeGreaterThan(1e-3); // not comparing zeros
  });
}

/** The layer's gradients against finite differences of its own forward. */
export function checkFiniteDifferences(): void {
  const g = randomGraph(5, 12, 4, 30);
  const d = 5;
  const rand = mulberry32(2);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const H = randn(g.rows * d);
  const rel = randn(g.relations * d);
  const k = randn(d);
  const w = randn(g.rows * d);
  const L = (h: Float32Array, r: Float32Array, kk: Float32Array) => rreaForward(g, h, d, relationSets(g, r, d), kk).out.reduce((s, x, i) => s + x * w[i]!, 0);
  const grads = tf
    .grads((h: tf.Tensor, r: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.mul(rreaLayer(h as tf.Tensor2D, r as tf.Tensor2D, kk as tf.Tensor1D, g), tf.tensor2d(w, [g.rows, d]))))([
      tf.tensor2d(H, [g.rows, d]),
      tf.tensor2d(rel, [g.relations, d]),
      tf.tensor1d(k),
    ])
    .map((t) => t.dataSync());
  const eps = 1e-2;
  [H, rel, k].forEach((x, n) => {
    for (const at of [0, Math.floor(x.length / 2), x.length - 1]) {
      const up = x.slice();
      const down = x.slice();
      up[at]! += eps;
      down[at]! -= eps;
      const args = (v: Float32Array) => [H, rel, k].map((y, m) => (m === n ? v : y)) as [Float32Array, Float32Array, Float32Array];
      const numeric = (L(...args(up)) - L(...args(down))) / (2 * eps);
      expect(grads[n]![at]!).toBeCloseTo(numeric, 2);
    }
  });
}
