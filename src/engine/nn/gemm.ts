// a · bᵀ on Float32Arrays through the native dense kernels (native/gemm.inc: the build for this CPU),
// the rows of a split over the kernel threads: for products a model needs outside tfjs's matMul,
// which is several times slower on wasm (docs/benchmarks.md, "Speed"). Null where the native dense
// kernels are not built or the backend is not a CPU one (the caller then uses tfjs ops).
import { nativeDenseOn } from '../runtime/native';
import { shareable, sharedF32, splitRows } from '../runtime/pool';
import { currentBackend, tf } from '../runtime/tf';

/** Whether nativeABt computes here. */
export const nativeGemmOn = (): boolean => nativeDenseOn(currentBackend()) !== null;

/** a (m × k) times the transpose of b (n × k): m × n, row-major; null without the native kernels. */
export function nativeABt(a: Float32Array, b: Float32Array, n: number, k: number): Float32Array | null {
  const dense = nativeDenseOn(currentBackend());
  if (!dense) return null;
  const m = a.length / k;
  const out = sharedF32(m * n);
  const task = { a: shareable(a), b: shareable(b), n, k, out };
  splitRows(m, 64, 'similarityRows', task, (i0, i1) => dense.similarityRows(task, i0, i1));
  return out;
}

/** The transpose of a rows × cols row-major matrix (in shared memory when threads run). */
export function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = sharedF32(x.length); // mostly the input of a product split over the threads
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/** A scalar loss of the scores S = l rᵀ (B × B) with the product and its gradients native: `loss(S)`
 *  returns the loss and turns S, in place, into ∂loss/∂S; then ∂l = ∂S r and ∂r = ∂Sᵀ l (times the
 *  upstream gradient). For the losses over a batch's score matrix (LoginMEA's InfoNCE, MSNEA's
 *  contrastive loss); call it only where nativeGemmOn(). */
export function nativeScoresLoss(l: tf.Tensor2D, r: tf.Tensor2D, loss: (S: Float32Array, B: number) => number): tf.Scalar {
  const [B, D] = l.shape;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ld = (args[0] as tf.Tensor).dataSync() as Float32Array;
    const rd = (args[1] as tf.Tensor).dataSync() as Float32Array;
    const S = nativeABt(ld, rd, B, D)!; // B × B, becomes ∂loss/∂S
    const value = loss(S, B);
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync()[0]!;
        if (g !== 1) for (let k = 0; k < S.length; k++) S[k]! *= g;
        const dl = nativeABt(S, transposed(rd, B, D), D, B)!;
        const dr = nativeABt(transposed(S, B, B), transposed(ld, B, D), D, B)!;
        return [tf.tensor2d(dl, [B, D]), tf.tensor2d(dr, [B, D])];
      },
    };
  });
  return f(l, r) as tf.Scalar;
}
