// The losses shared by MCLEA, PCMEA and HUMEA (methods.md §0.5), on a batch of B seed pairs whose
// left embeddings are `a` and right embeddings `b` (B × D, normalised inside).
import { tf } from './tf';
import { l2normalize, matMulBt, stopGradient } from './ops';

const LARGE = 1e9;

/** The two 2B-column logit blocks: row i of the left block is [a_i·b_j ‖ a_i·a_j (self masked)] / τ. */
export function logitBlocks(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): [tf.Tensor2D, tf.Tensor2D] {
  const B = a.shape[0];
  const na = l2normalize(a);
  const nb = l2normalize(b);
  const mask = tf.mul(tf.eye(B), LARGE);
  const ab = tf.div(matMulBt(na, nb), tau);
  const aa = tf.sub(tf.div(matMulBt(na, na), tau), mask);
  const ba = tf.transpose(ab); // b_i·a_j / τ
  const bb = tf.sub(tf.div(matMulBt(nb, nb), tau), mask);
  return [tf.concat([ab, aa], 1) as tf.Tensor2D, tf.concat([ba, bb], 1) as tf.Tensor2D];
}

/** −mean_i log softmax(row_i)[i]: the target of row i is column i (its cross-graph partner). */
function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  const B = logits.shape[0];
  const logp = tf.logSoftmax(logits, 1);
  const onehot = tf.concat([tf.eye(B), tf.zeros([B, B])], 1);
  return tf.neg(tf.div(tf.sum(tf.mul(logp, onehot)), B)) as tf.Scalar;
}

/** ICL: in-batch contrastive loss with cross-graph and intra-graph negatives, ½ each direction. */
export function icl(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
  const [la, lb] = logitBlocks(a, b, tau);
  return tf.add(tf.mul(diagonalCrossEntropy(la), 0.5), tf.mul(diagonalCrossEntropy(lb), 0.5)) as tf.Scalar;
}

/** Element-wise KL(softmax(q) ‖ softmax(p)) averaged over all B × 2B entries (PyTorch kl_div 'mean'). */
function klMean(p: tf.Tensor2D, q: tf.Tensor2D): tf.Scalar {
  const logq = tf.logSoftmax(q, 1);
  return tf.mean(tf.mul(tf.exp(logq), tf.sub(logq, tf.logSoftmax(p, 1)))) as tf.Scalar;
}

/** IAL: the unimodal (`srcA`, `srcB`) similarity distributions pulled toward the joint's, given as
 *  its logit blocks at τ₂ (`logitBlocks` of the joint, computed once per batch and not
 *  differentiated), ½ each direction. */
export function ial(srcA: tf.Tensor2D, srcB: tf.Tensor2D, target: [tf.Tensor2D, tf.Tensor2D], tau2: number): tf.Scalar {
  const [pa, pb] = logitBlocks(srcA, srcB, tau2);
  return tf.add(tf.mul(klMean(pa, target[0]), 0.5), tf.mul(klMean(pb, target[1]), 0.5)) as tf.Scalar;
}

/** The joint's logit blocks as IAL's fixed target. */
export function ialTarget(jointA: tf.Tensor2D, jointB: tf.Tensor2D, tau2: number): [tf.Tensor2D, tf.Tensor2D] {
  return logitBlocks(stopGradient(jointA), stopGradient(jointB), tau2);
}

/** Kendall-style automatic weighting: Σ_m exp(−s_m)·L_m + s_m. */
export function autoWeighted(losses: tf.Scalar[], s: tf.Tensor1D): tf.Scalar {
  const stacked = tf.stack(losses) as tf.Tensor1D;
  const sl = s.shape[0] === losses.length ? s : tf.slice(s, 0, losses.length);
  return tf.sum(tf.add(tf.mul(tf.exp(tf.neg(sl)), stacked), sl)) as tf.Scalar;
}
