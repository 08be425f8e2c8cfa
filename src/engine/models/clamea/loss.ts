// The MSNEA contrastive loss CLAMEA optimises (appendix E.1; MSNEA's model.py ContrastiveLoss with the
// identity as labels; models.md "CLAMEA"): over a batch's pairs, S = cos(left_i, right_j) for every
// i, j, and
//   L_cl = mean_{i,j} [ (1 − I_ij) S_ij² + I_ij · max(γ − S_ij, 0)² ]
// (aligned pairs pulled towards γ, every other pair towards orthogonal). A step takes it over all
// seed pairs at once (2,312 on FB15K-DB15K) for the final and each modality's embedding: in tfjs ops
// each B × B score matrix (5.3 M scores) passes ten element-wise ops forward and as many backward, so
// on CPU backends the value and the gradient are one loop over S from the native product (as
// LoginMEA's InfoNCE); the tfjs formula stays for the other backends and is the tests' reference.
import { nativeGemmOn, nativeScoresLoss } from '../../nn/gemm';
import { l2normalize, matMul } from '../../nn/ops';
import { tf } from '../../runtime/tf';

export function msneaLoss(left: tf.Tensor2D, right: tf.Tensor2D, margin: number, kernel: 'auto' | 'tfjs' = 'auto'): tf.Scalar {
  const [l, r] = [l2normalize(left), l2normalize(right)];
  if (kernel === 'auto' && nativeGemmOn()) return nativeLoss(l, r, margin);
  const B = left.shape[0];
  const S = matMul(l, tf.transpose(r));
  const eye = tf.eye(B);
  const negative = tf.mul(tf.sub(1, eye), tf.square(S));
  const positive = tf.mul(eye, tf.square(tf.relu(tf.sub(margin, S))));
  return tf.mean(tf.add(negative, positive)) as tf.Scalar;
}

/** The same loss written out: with S = l rᵀ, ∂S_ij = 2 S_ij / B² off the diagonal and
 *  −2 max(γ − S_ii, 0) / B² on it. */
function nativeLoss(l: tf.Tensor2D, r: tf.Tensor2D, margin: number): tf.Scalar {
  return nativeScoresLoss(l, r, (S, B) => {
    let loss = 0;
    const scale = 2 / (B * B);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < B; j++) {
        const k = i * B + j;
        const s = S[k]!;
        if (i === j) {
          const gap = Math.max(margin - s, 0);
          loss += gap * gap;
          S[k] = -scale * gap;
        } else {
          loss += s * s;
          S[k] = scale * s;
        }
      }
    }
    return loss / (B * B);
  });
}
