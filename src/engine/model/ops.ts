// Differentiable tensor operations the model is built from, each with its gradient written so that
// it stays fast on every backend (environment.md): no matMul with transposeA/B (10–40× slower on
// wasm, and what tf.matMul's own gradient uses), no tf.gather gradient (missing on wasm), sparse
// aggregation through the kernels in kernels.ts.
import { tf } from './tf';
import { gatBackward, gatForward, spmmBackward, spmmForward, type AggGraph, type SparseRows } from './kernels';

/** a · b with explicit transposes in the gradient (plain matMul only). */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((x, y, save) => {
    save([x as tf.Tensor2D, y as tf.Tensor2D]);
    return {
      value: tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D),
      gradFunc: (dy, saved) => {
        const [sx, sy] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sy)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
      },
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/** a · bᵀ (similarity matrices), transposing b explicitly. */
export function matMulBt(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMul(a, tf.transpose(b));
}

/** Rows of a constant sparse matrix times a dense weight matrix (in × C); gradient for the weights. */
export function spmm(x: SparseRows, W: tf.Tensor2D): tf.Tensor2D {
  const [inDims, C] = W.shape;
  const f = tf.customGrad((w) => {
    const out = spmmForward(x, (w as tf.Tensor2D).dataSync() as Float32Array, C);
    return {
      value: tf.tensor2d(out, [x.rows.length, C]),
      gradFunc: (dy) => tf.tensor2d(spmmBackward(x, (dy as tf.Tensor).dataSync() as Float32Array, inDims, C), [inDims, C]),
    };
  });
  return f(W) as tf.Tensor2D;
}

/** One GAT layer (kernels.ts gatForward) over `graph`; X is (rows × D), w heads × D, a heads × 2D. */
export function gatLayer(X: tf.Tensor2D, w: tf.Tensor2D, a: tf.Tensor2D, graph: AggGraph): tf.Tensor2D {
  const D = X.shape[1];
  const heads = w.shape[0];
  const f = tf.customGrad((x, wt, at) => {
    const xd = (x as tf.Tensor).dataSync() as Float32Array;
    const wd = (wt as tf.Tensor).dataSync() as Float32Array;
    const ad = (at as tf.Tensor).dataSync() as Float32Array;
    const fwd = gatForward(xd, D, wd, ad, heads, graph);
    return {
      value: tf.tensor2d(fwd.out, [graph.outputs, D]),
      gradFunc: (dy) => {
        const g = gatBackward(xd, D, wd, ad, heads, graph, fwd, (dy as tf.Tensor).dataSync() as Float32Array);
        return [tf.tensor2d(g.dX, X.shape), tf.tensor2d(g.dw, w.shape), tf.tensor2d(g.da, a.shape)];
      },
    };
  });
  return f(X, w, a) as tf.Tensor2D;
}

/** Row-wise L2 normalisation (F.normalize: x / max(‖x‖, eps)). */
export function l2normalize(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  const n = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), eps);
  return tf.div(x, n);
}
