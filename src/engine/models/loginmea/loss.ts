// LoginMEA's loss (methods.md §4; reference src/loss.py InfoNCE_loss): one direction, left → right,
// the other graph's in-batch rows as the only negatives.
import { matMul } from '../../nn/ops';
import { tf } from '../../runtime/tf';

/** Mean over rows of −log softmax(l · rᵀ / τ)_ii: the batch's left rows against its right rows. */
export function infoNce(l: tf.Tensor2D, r: tf.Tensor2D, tau: number): tf.Scalar {
  const scores = tf.div(matMul(l, tf.transpose(r)), tau);
  const positive = tf.div(tf.sum(tf.mul(l, r), 1), tau);
  return tf.mean(tf.sub(tf.logSumExp(scores, 1), positive)) as tf.Scalar;
}
