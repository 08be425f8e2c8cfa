// The device path's formulations (runtime/kernelPath.ts) of the host kernels in kernels.ts and
// rrea.ts: the same layers as tfjs operations on the backend — gathers and unsorted segment sums,
// whose gradients the backends have (tfjs-node, webgl, webgpu, cpu; not wasm, which has no
// UnsortedSegmentSum: there the host kernels run) — so a training step on a GPU never reads a tensor
// back to the CPU. They hold an edges × d tensor per layer, which the host kernels avoid: on a GPU
// that memory is the price of staying on the device. The graphs' index arrays are uploaded per call
// (writes to the device, a few MB on FB15K-DB15K; no read). test/unit/device.test.ts checks each
// against its host kernel, forward and gradients.
import type { AggGraph, SparseRows } from '../runtime/layouts';
import { tf } from '../runtime/tf';
import { detach } from './constant';
import type { RelationGraph } from './rrea';

const SLOPE = 0.2; // LeakyReLU slope of pyGAT's sparse layer, as kernels.ts

// A model's graphs are built once and every step's layers read them (twice per step in the heads
// step): their per-entry rows are kept by layout, as host arrays (tensors would belong to a backend)
const entryRows = new WeakMap<Int32Array, Int32Array>();

/** Per entry of a CSR layout, the row it belongs to. */
function rowOfEntry(indptr: Int32Array, rows: number): Int32Array {
  const known = entryRows.get(indptr);
  if (known) return known;
  const out = new Int32Array(indptr[rows]!);
  for (let i = 0; i < rows; i++) out.fill(i, indptr[i]!, indptr[i + 1]!);
  entryRows.set(indptr, out);
  return out;
}

/**
 * exp(u_e − c_e) normalised over each destination's entries: the softmax of kernels.ts and rrea.ts
 * without a per-row maximum (tfjs has no segment max). `c` (per entry, or one for all) must bound
 * the entry's row's u from above, so no exp overflows; the values are then the softmax's.
 */
function segmentSoftmax(u: tf.Tensor2D, c: tf.Tensor, dst: tf.Tensor1D, rows: number): tf.Tensor2D {
  const e = tf.exp(tf.sub(u, detach(c)));
  return tf.div(e, tf.gather(tf.unsortedSegmentSum(e, dst, rows), dst));
}

/** The diag GAT layer of kernels.ts gatForward (the same arguments, all heads, mean over heads). */
export function gatDevice(X: tf.Tensor2D, w: tf.Tensor2D, a: tf.Tensor2D, g: AggGraph, wLeft: tf.Tensor2D = w): tf.Tensor2D {
  const D = X.shape[1];
  const heads = w.shape[0];
  const P = g.outputs;
  const E = g.indices.length;
  return tf.tidy(() => {
    const src = tf.tensor1d(g.indices, 'int32');
    const dst = tf.tensor1d(rowOfEntry(g.indptr, P), 'int32');
    // per-node attention scalars s1_i = X_self(i)·(wLeft ⊙ a1), s2_j = X_j·(w ⊙ a2), heads wide
    const v1 = tf.mul(wLeft, tf.slice(a, [0, 0], [heads, D]));
    const v2 = tf.mul(w, tf.slice(a, [0, D], [heads, D]));
    const s1 = tf.matMul(tf.gather(X, tf.tensor1d(g.self, 'int32')), v1, false, true) as tf.Tensor2D; // P × heads
    const s2 = tf.matMul(X, v2, false, true) as tf.Tensor2D; // rows × heads
    const u = tf.neg(tf.leakyRelu(tf.add(tf.gather(s1, dst), tf.gather(s2, src)), SLOPE)) as tf.Tensor2D; // E × heads
    // −LeakyReLU is decreasing, so row i's u is at most −LeakyReLU(s1_i + min_j s2_j)
    const c = tf.neg(tf.leakyRelu(tf.add(s1, tf.min(s2, 0)), SLOPE)) as tf.Tensor2D;
    const alpha = segmentSoftmax(u, tf.gather(c, dst), dst, P);
    const Xj = tf.gather(X, src); // E × D
    const perHead = Array.from({ length: heads }, (_, k) => tf.mul(tf.unsortedSegmentSum(tf.mul(Xj, tf.slice(alpha, [0, k], [E, 1])), dst, P), tf.slice(w, [k, 0], [1, D])));
    return tf.div(tf.addN(perHead), heads) as tf.Tensor2D;
  });
}

/** The RREA layer of rrea.ts (rreaForward: set vectors, reflections, attention by relation, tanh). */
export function rreaDevice(H: tf.Tensor2D, rel: tf.Tensor2D, k: tf.Tensor1D, g: RelationGraph): tf.Tensor2D {
  const C = g.setPtr.length - 1;
  return tf.tidy(() => {
    const sums = tf.unsortedSegmentSum(tf.gather(rel, tf.tensor1d(g.setRels, 'int32')), tf.tensor1d(rowOfEntry(g.setPtr, C), 'int32'), C);
    // F.normalize, as relationSets: x / max(‖x‖, 1e-12)
    const r = tf.div(sums, tf.maximum(tf.norm(sums, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D; // C × d
    const logit = tf.matMul(r, tf.reshape(k, [-1, 1])) as tf.Tensor2D; // C × 1
    const set = tf.tensor1d(g.set, 'int32');
    const dst = tf.tensor1d(rowOfEntry(g.indptr, g.rows), 'int32');
    const hj = tf.gather(H, tf.tensor1d(g.src, 'int32')); // E × d
    const rc = tf.gather(r, set);
    const m = tf.sub(hj, tf.mul(tf.mul(tf.sum(tf.mul(hj, rc), 1, true), 2), rc));
    // every logit is at most the largest set's: no exp overflows (|r_c · k| ≤ ‖k‖ bounds the spread)
    const alpha = segmentSoftmax(tf.gather(logit, set), tf.max(logit), dst, g.rows);
    return tf.tanh(tf.unsortedSegmentSum(tf.mul(m, alpha), dst, g.rows)) as tf.Tensor2D;
  });
}

/** Rows of a constant sparse matrix times W (kernels.ts spmmForward): gathered rows of W, weighted,
 *  summed per output row; W's gradient is the gather's. */
export function spmmDevice(x: SparseRows, W: tf.Tensor2D): tf.Tensor2D {
  let n = 0;
  for (const r of x.rows) n += x.indptr[r + 1]! - x.indptr[r]!;
  const out = new Int32Array(n);
  const cols = new Int32Array(n);
  const vals = new Float32Array(n);
  let at = 0;
  x.rows.forEach((r, i) => {
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++, at++) {
      out[at] = i;
      cols[at] = x.indices[p]!;
      vals[at] = x.values[p]!;
    }
  });
  return tf.tidy(() => tf.unsortedSegmentSum(tf.mul(tf.gather(W, tf.tensor1d(cols, 'int32')), tf.tensor2d(vals, [n, 1])), tf.tensor1d(out, 'int32'), x.rows.length) as tf.Tensor2D);
}
