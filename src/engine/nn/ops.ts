// Differentiable tensor operations the model is built from, each with its gradient written so that
// it stays fast on every backend (environment.md): no matMul with transposeA/B (10–40× slower on
// wasm, and what tf.matMul's own gradient uses), no tf.gather gradient (missing on wasm), sparse
// aggregation through the kernels in kernels.ts. On the device path (runtime/kernelPath.ts) the
// sparse layers and row scatters are nn/device.ts's tfjs formulations instead: no host read.
import { nativeDenseOn } from '../runtime/native';
import { nativeABt, nativeGemmOn, transposed } from './gemm';
import { shareable, sharedF32, splitRows } from '../runtime/pool';
import { onDevice } from '../runtime/kernelPath';
import { currentBackend, tf } from '../runtime/tf';
import { gatDevice, rreaDevice, spmmDevice } from './device';
import { gatBackward, gatForward, spmmBackward, spmmForward, type AggGraph, type GatForward, type SparseRows } from './kernels';
import { relationSets, rreaBackward, rreaForward, type RelationGraph, type RreaSets } from './rrea';

export { constantOf, detach } from './constant';

/**
 * Forward results kept between the two passes of a training step (models/heads/step.ts): the loss heads run
 * first on a forward without gradient tape, then the encoders' backward pass runs on a second
 * forward that reuses these results instead of recomputing the expensive products.
 */
export type Memo = Map<string, Float32Array | GatForward>;

/** Products at least this large (multiply–adds) run in the native dense kernels on CPU backends. */
const NATIVE_MATMUL_MACS = 1 << 24;

/** a · b with explicit transposes in the gradient (plain matMul only). Large products on a CPU
 *  backend run natively (nn/gemm.ts: both threads, several times tfjs's matMul on wasm), their
 *  gradients too: da = dy · bᵀ, db = aᵀ · dy. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const native = m * k * n >= NATIVE_MATMUL_MACS && nativeGemmOn();
  // inputs needed by the gradient must go through `save` (customGrad disposes its own copies)
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    if (native) {
      const xd = x.dataSync() as Float32Array;
      const yd = y.dataSync() as Float32Array;
      return {
        value: tf.tensor2d(nativeABt(xd, transposed(yd, k, n), n, k)!, [m, n]),
        gradFunc: (dy: tf.Tensor) => {
          const g = dy.dataSync() as Float32Array;
          return [tf.tensor2d(nativeABt(g, yd, k, n)!, [m, k]), tf.tensor2d(nativeABt(transposed(xd, m, k), transposed(g, m, n), n, m)!, [k, n])];
        },
      };
    }
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy, saved) => {
        const [sx, sy] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sy)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
      },
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/** Rows of a constant sparse matrix times a dense weight matrix (in × C); gradient for the weights. */
export function spmm(x: SparseRows, W: tf.Tensor2D, memo?: Memo, key = ''): tf.Tensor2D {
  if (onDevice()) return spmmDevice(x, W);
  const [inDims, C] = W.shape;
  const f = tf.customGrad((w) => {
    let out = memo?.get(key) as Float32Array | undefined;
    if (!out) {
      out = spmmForward(x, (w as tf.Tensor2D).dataSync() as Float32Array, C);
      memo?.set(key, out);
    }
    return {
      value: tf.tensor2d(out, [x.rows.length, C]),
      gradFunc: (dy) => tf.tensor2d(spmmBackward(x, (dy as tf.Tensor).dataSync() as Float32Array, inDims, C), [inDims, C]),
    };
  });
  return f(W) as tf.Tensor2D;
}

/** One GAT layer (kernels.ts gatForward) over `graph`; X is (rows × D), w heads × D, a heads × 2D;
 *  `wLeft` (heads × D): MPSEA's multi-weight layer, the node's own weight in its attention scalar. */
export function gatLayer(X: tf.Tensor2D, w: tf.Tensor2D, a: tf.Tensor2D, graph: AggGraph, memo?: Memo, key = '', wLeft?: tf.Tensor2D): tf.Tensor2D {
  if (onDevice()) return gatDevice(X, w, a, graph, wLeft);
  const D = X.shape[1];
  const heads = w.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xd, wd, ad, wl] = args.slice(0, wLeft ? 4 : 3).map((t) => (t as tf.Tensor).dataSync() as Float32Array);
    let fwd = memo?.get(key) as GatForward | undefined;
    if (!fwd) {
      fwd = gatForward(xd!, D, wd!, ad!, heads, graph, wl);
      memo?.set(key, fwd);
    }
    const f0 = fwd;
    return {
      value: tf.tensor2d(fwd.out, [graph.outputs, D]),
      gradFunc: (dy: tf.Tensor) => {
        const g = gatBackward(xd!, D, wd!, ad!, heads, graph, f0, dy.dataSync() as Float32Array, wl);
        const grads = [tf.tensor2d(g.dX, X.shape), tf.tensor2d(g.dw, w.shape), tf.tensor2d(g.da, a.shape)];
        return g.dwLeft ? [...grads, tf.tensor2d(g.dwLeft, w.shape)] : grads;
      },
    };
  });
  return (wLeft ? f(X, w, a, wLeft) : f(X, w, a)) as tf.Tensor2D;
}

/** tanh of a matrix: in the native dense kernels on the CPU backends (rows split over the kernel
 *  threads; tfjs's Tanh on wasm is a scalar loop on one thread), in tfjs elsewhere. The gradient,
 *  dy (1 − y²), in tfjs ops. */
export function tanh(x: tf.Tensor2D): tf.Tensor2D {
  const dense = nativeDenseOn(currentBackend());
  if (!dense) return tf.tanh(x);
  const [rows, d] = x.shape;
  const f = tf.customGrad((t, save) => {
    const task = { x: (t as tf.Tensor).dataSync() as Float32Array, out: sharedF32(rows * d), d };
    splitRows(rows, 256, 'tanhRows', task, (i0, i1) => dense.tanhRows(task, i0, i1));
    const y = tf.tensor2d(task.out, [rows, d]);
    (save as tf.GradSaveFunc)([y]);
    return { value: y, gradFunc: (dy, [sy]) => tf.mul(dy, tf.sub(1, tf.square(sy!))) };
  });
  return f(x) as tf.Tensor2D;
}

/** Row-wise L2 normalisation, x / max(‖x‖, eps) as F.normalize, written as x · rsqrt(max(‖x‖², eps²))
 *  so an all-zero row (an entity without the modality) has a zero gradient, not sqrt's infinite one. */
export function l2normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), eps * eps)));
}

/** The per-entity weighted concatenation of MEAformer and MPSEA: row i of the joint is
 *  concat_m w_{i,m} · L2norm(e_m)_i, `weights` rows × modalities. */
export function fuseRows(mods: tf.Tensor2D[], weights: tf.Tensor2D): tf.Tensor2D {
  const columns = mods.length === 1 ? [weights] : (tf.split(weights, mods.length, 1) as tf.Tensor2D[]);
  const parts = mods.map((e, m) => tf.mul(l2normalize(e), columns[m]!) as tf.Tensor2D);
  return parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D);
}

/** HUMEA's weighted concatenation: joint = concat_m w_m · L2norm(e_m) (methods.md §1.2). */
export function fuse(mods: tf.Tensor2D[], weights: tf.Tensor1D): tf.Tensor2D {
  const parts = mods.map((e, i) => tf.mul(l2normalize(e), tf.slice(weights, i, 1)));
  return (parts.length === 1 ? parts[0]! : tf.concat(parts, 1)) as tf.Tensor2D;
}

/** x · W for a constant x (features): only W gets a gradient (xᵀ · dy, transposed explicitly). */
export function constMatMul(x: tf.Tensor2D, W: tf.Tensor2D, memo?: Memo, key = ''): tf.Tensor2D {
  if (onDevice()) return tf.matMul(x, W); // the memo holds host arrays; a device's matMul gradient is fine
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [w, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([x]); // a tensor the gradient needs must be saved: the tape disposes the others
    const kept = memo?.get(key) as Float32Array | undefined;
    const value = kept ? tf.tensor2d(kept, [x.shape[0], W.shape[1]]) : tf.matMul(x, w);
    if (!kept) memo?.set(key, value.dataSync() as Float32Array);
    return { value, gradFunc: (dy, saved) => tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy as tf.Tensor2D) };
  });
  return f(W) as tf.Tensor2D;
}

/** One RREA layer (rrea.ts) over `graph`: H (rows × d), the relation table (relations × d), the
 *  attention kernel k (d); its output is already through tanh. */
export function rreaLayer(H: tf.Tensor2D, rel: tf.Tensor2D, k: tf.Tensor1D, graph: RelationGraph): tf.Tensor2D {
  if (onDevice()) return rreaDevice(H, rel, k, graph);
  const d = H.shape[1];
  const f = tf.customGrad((h, r, kt) => {
    const hd = shareable((h as tf.Tensor).dataSync() as Float32Array); // read by the forward and the backward
    const kd = (kt as tf.Tensor).dataSync() as Float32Array;
    const sets = setsOf(graph, r as tf.Tensor2D);
    const fwd = rreaForward(graph, hd, d, sets, kd);
    return {
      value: tf.tensor2d(fwd.out, [graph.rows, d]),
      gradFunc: (dy) => {
        const g = rreaBackward(graph, hd, d, sets, kd, fwd, (dy as tf.Tensor).dataSync() as Float32Array);
        return [tf.tensor2d(g.dH, H.shape), tf.tensor2d(g.dRel, rel.shape), tf.tensor1d(g.dk)];
      },
    };
  });
  return f(H, rel, k) as tf.Tensor2D;
}

// The set vectors of the last relation table a graph's layers read: a model's layers share one table
// (LoginMEA's four per step), so they are computed once per step. Keyed by the table's data: a
// tensor's data never changes under one dataId (a variable's assign gives it a new one).
const lastSets = new WeakMap<RelationGraph, { data: object; sets: RreaSets }>();

function setsOf(graph: RelationGraph, rel: tf.Tensor2D): RreaSets {
  const data = rel.dataId as object;
  const known = lastSets.get(graph);
  if (known?.data === data) return known.sets;
  const sets = relationSets(graph, rel.dataSync() as Float32Array, rel.shape[1]);
  lastSets.set(graph, { data, sets });
  return sets;
}

/** Σ of the rows of `g` that map to the same target row (the gradient of a gather by `at`):
 *  plain TypeScript on the host path, as wasm has no UnsortedSegmentSum; the backend's on a device. */
export function scatterAddRows(g: tf.Tensor2D, at: Int32Array, targets: number): tf.Tensor2D {
  if (onDevice()) return tf.tidy(() => tf.unsortedSegmentSum(g, tf.tensor1d(at, 'int32'), targets));
  const d = g.shape[1];
  const src = g.dataSync();
  const out = new Float32Array(targets * d);
  for (let i = 0; i < at.length; i++) {
    const o = at[i]! * d;
    for (let c = 0; c < d; c++) out[o + c]! += src[i * d + c]!;
  }
  return tf.tensor2d(out, [targets, d]);
}

/** Rows `rows` of x (repeats allowed), with scatterAddRows as the gradient (tf.gather has none on wasm). */
export function takeRows(x: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  if (onDevice()) return tf.tidy(() => tf.gather(x, tf.tensor1d(rows, 'int32')));
  const f = tf.customGrad((t) => ({
    value: tf.gather(t as tf.Tensor2D, rows),
    gradFunc: (dy) => scatterAddRows(dy as tf.Tensor2D, rows, x.shape[0]),
  }));
  return f(x) as tf.Tensor2D;
}
