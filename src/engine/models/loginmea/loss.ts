// LoginMEA's loss (methods.md §4; reference src/loss.py InfoNCE_loss): one direction, left → right,
// the other graph's in-batch rows as the only negatives. On FB15K-DB15K a batch is ~2,300 pairs of
// 2,400-d rows: three products of ~26 GFLOP each per step, which the native dense kernels (nn/gemm.ts,
// both threads) run several times faster than tfjs's matMul on wasm; the tfjs formula stays for the
// other backends and is the tests' reference.
import { nativeGemmOn, nativeScoresLoss } from '../../nn/gemm';
import { matMul } from '../../nn/ops';
import { tf } from '../../runtime/tf';

/** Mean over rows of −log softmax(l · rᵀ / τ)_ii: the batch's left rows against its right rows.
 *  `kernel`: 'auto' runs the products natively where the native dense kernels are built. */
export function infoNce(l: tf.Tensor2D, r: tf.Tensor2D, tau: number, kernel: 'auto' | 'tfjs' = 'auto'): tf.Scalar {
  if (kernel === 'auto' && nativeGemmOn()) return nativeInfoNce(l, r, tau);
  const scores = tf.div(matMul(l, tf.transpose(r)), tau);
  const positive = tf.div(tf.sum(tf.mul(l, r), 1), tau);
  return tf.mean(tf.sub(tf.logSumExp(scores, 1), positive)) as tf.Scalar;
}

/** The same loss written out: with S = l rᵀ / τ and p = softmax(S) by rows,
 *  loss = mean_i(logsumexp(S_i) − S_ii) and ∂(l rᵀ) = (p − I) / (B τ). */
function nativeInfoNce(l: tf.Tensor2D, r: tf.Tensor2D, tau: number): tf.Scalar {
  return nativeScoresLoss(l, r, (S, B) => {
    let loss = 0;
    const scale = 1 / (B * tau);
    for (let i = 0; i < B; i++) {
      const row = S.subarray(i * B, (i + 1) * B);
      let max = -Infinity;
      for (let j = 0; j < B; j++) max = Math.max(max, (row[j]! /= tau));
      const positive = row[i]!;
      let z = 0;
      for (let j = 0; j < B; j++) z += row[j] = Math.exp(row[j]! - max);
      loss += max + Math.log(z) - positive;
      for (let j = 0; j < B; j++) row[j]! /= z;
      row[i]! -= 1;
      for (let j = 0; j < B; j++) row[j]! *= scale;
    }
    return loss / B;
  });
}
