// The losses shared by MCLEA, PCMEA and HUMEA (methods.md §0.5), on a batch of B seed pairs whose
// left embeddings are `a` and right embeddings `b` (B × D, normalised inside).
//
// Both losses are a row-wise cross-entropy over the same two B × 2B logit blocks, so they are one
// fused operation with its gradient written out: row i of the left block is
// [a_i·b_j ‖ a_i·a_j (self masked)] / τ, of the right block [b_i·a_j ‖ b_i·b_j (self masked)] / τ.
// Differentiated op by op, tfjs would run dozens of element-wise kernels over B × 2B matrices per
// loss in the backward pass; the written gradient needs a few matMuls. test/unit/losses.test.ts
// checks it against the op-by-op version (`reference` below).
import { tf } from './tf';
import { l2normalize } from './ops';

const LARGE = 1e9;

/** Per batch size: the self-similarity mask (LARGE on the diagonal) and the ICL target [I ‖ 0].
 *  Kept across steps (a handful of sizes per run) instead of rebuilt in every loss. */
const constants = new Map<number, { mask: tf.Tensor2D; diag: tf.Tensor2D }>();
function constantsFor(B: number): { mask: tf.Tensor2D; diag: tf.Tensor2D } {
  let c = constants.get(B);
  if (!c || c.mask.isDisposed) {
    c = tf.tidy(() => ({ mask: tf.keep(tf.mul(tf.eye(B), LARGE) as tf.Tensor2D), diag: tf.keep(tf.concat([tf.eye(B), tf.zeros([B, B])], 1) as tf.Tensor2D) }));
    constants.set(B, c);
  }
  return c;
}

/** The two logit blocks of normalised na, nb at temperature τ. */
export function logitBlocks(na: tf.Tensor2D, nb: tf.Tensor2D, tau: number): [tf.Tensor2D, tf.Tensor2D] {
  const B = na.shape[0];
  const { mask } = constantsFor(B);
  const ab = tf.div(tf.matMul(na, tf.transpose(nb)), tau);
  const aa = tf.sub(tf.div(tf.matMul(na, tf.transpose(na)), tau), mask);
  const bb = tf.sub(tf.div(tf.matMul(nb, tf.transpose(nb)), tau), mask);
  return [tf.concat([ab, aa], 1) as tf.Tensor2D, tf.concat([tf.transpose(ab), bb], 1) as tf.Tensor2D];
}

/**
 * Σ over both blocks of the weighted cross-entropy between each row's target distribution and the
 * row's softmax: targets null = the diagonal (ICL, mean over rows, ½ per block); otherwise the
 * given probability blocks (IAL's KL, mean over all B × 2B entries as PyTorch's kl_div 'mean', ½ per
 * block; the targets' entropy is added so the value is the KL itself).
 */
function blockCrossEntropy(na: tf.Tensor2D, nb: tf.Tensor2D, tau: number, targets: [tf.Tensor2D, tf.Tensor2D] | null): tf.Scalar {
  const B = na.shape[0];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xa, xb, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const [za, zb] = logitBlocks(xa, xb, tau);
    const la = tf.logSoftmax(za, 1);
    const lb = tf.logSoftmax(zb, 1);
    let value: tf.Tensor;
    let ta: tf.Tensor2D;
    let tb: tf.Tensor2D;
    let scale: number;
    if (!targets) {
      const { diag } = constantsFor(B);
      ta = diag;
      tb = diag;
      scale = 0.5 / B;
      value = tf.mul(tf.add(tf.sum(tf.mul(la, diag)), tf.sum(tf.mul(lb, diag))), -scale);
    } else {
      [ta, tb] = targets;
      scale = 0.5 / (2 * B * B);
      const part = (t: tf.Tensor2D, l: tf.Tensor2D) => tf.sum(tf.mul(t, tf.sub(tf.log(tf.maximum(t, 1e-30)), l)));
      value = tf.mul(tf.add(part(ta, la), part(tb, lb)), scale);
    }
    // d/dz of −Σ t·log softmax(z) per row is softmax(z)·Σt − t = softmax(z) − t (rows of t sum to 1)
    const ga = tf.mul(tf.sub(tf.exp(la), ta), scale / tau);
    const gb = tf.mul(tf.sub(tf.exp(lb), tb), scale / tau);
    save([xa, xb, ga, gb]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [sa, sb, g1, g2] = saved as tf.Tensor2D[];
        const gab = tf.slice(g1!, [0, 0], [B, B]);
        const gaa = tf.slice(g1!, [0, B], [B, B]);
        const gba = tf.slice(g2!, [0, 0], [B, B]);
        const gbb = tf.slice(g2!, [0, B], [B, B]);
        const c = tf.add(gab, tf.transpose(gba)); // couples a_i with b_j
        const sA = tf.add(gaa, tf.transpose(gaa));
        const sB = tf.add(gbb, tf.transpose(gbb));
        const da = tf.add(tf.matMul(c, sb!), tf.matMul(sA, sa!));
        const db = tf.add(tf.matMul(tf.transpose(c), sa!), tf.matMul(sB, sb!));
        return [tf.mul(da, dy), tf.mul(db, dy)];
      },
    };
  });
  return f(na, nb) as tf.Scalar;
}

/** ICL: in-batch contrastive loss with cross-graph and intra-graph negatives, ½ each direction. */
export function icl(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
  return blockCrossEntropy(l2normalize(a), l2normalize(b), tau, null);
}

/** The joint's row distributions at τ₂: IAL's fixed target (computed outside any gradient path). */
export function ialTarget(jointA: tf.Tensor2D, jointB: tf.Tensor2D, tau2: number): [tf.Tensor2D, tf.Tensor2D] {
  const [za, zb] = logitBlocks(l2normalize(jointA), l2normalize(jointB), tau2);
  return [tf.softmax(za, 1), tf.softmax(zb, 1)];
}

/** IAL: KL(joint ‖ unimodal) of the row distributions at τ₂, ½ each direction (methods.md §0.5). */
export function ial(srcA: tf.Tensor2D, srcB: tf.Tensor2D, target: [tf.Tensor2D, tf.Tensor2D], tau2: number): tf.Scalar {
  return blockCrossEntropy(l2normalize(srcA), l2normalize(srcB), tau2, target);
}

/** Kendall-style automatic weighting: Σ_m exp(−s_m)·L_m + s_m. */
export function autoWeighted(losses: tf.Scalar[], s: tf.Tensor1D): tf.Scalar {
  const stacked = tf.stack(losses) as tf.Tensor1D;
  const sl = s.shape[0] === losses.length ? s : tf.slice(s, 0, losses.length);
  return tf.sum(tf.add(tf.mul(tf.exp(tf.neg(sl)), stacked), sl)) as tf.Scalar;
}

/** The same losses as plain differentiable tfjs ops (the fused version's test oracle). */
export const reference = {
  icl(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
    const [za, zb] = logitBlocks(l2normalize(a), l2normalize(b), tau);
    const B = a.shape[0];
    const diag = tf.concat([tf.eye(B), tf.zeros([B, B])], 1);
    const ce = (z: tf.Tensor2D) => tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(z, 1), diag)), B));
    return tf.add(tf.mul(ce(za), 0.5), tf.mul(ce(zb), 0.5)) as tf.Scalar;
  },
  ial(srcA: tf.Tensor2D, srcB: tf.Tensor2D, target: [tf.Tensor2D, tf.Tensor2D], tau2: number): tf.Scalar {
    const [pa, pb] = logitBlocks(l2normalize(srcA), l2normalize(srcB), tau2);
    const kl = (p: tf.Tensor2D, q: tf.Tensor2D) => tf.mean(tf.mul(q, tf.sub(tf.log(tf.maximum(q, 1e-30)), tf.logSoftmax(p, 1))));
    return tf.add(tf.mul(kl(pa, target[0]), 0.5), tf.mul(kl(pb, target[1]), 0.5)) as tf.Scalar;
  },
};
