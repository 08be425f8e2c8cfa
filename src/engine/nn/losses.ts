// The losses shared by MCLEA, PCMEA and HUMEA (methods.md §0.5), on a batch of B seed pairs whose
// left embeddings are `a` and right embeddings `b` (B × D, normalised inside).
//
// Both losses are a row-wise cross-entropy over the same two B × 2B logit blocks, so they are one
// fused operation with its gradient written out: row i of the left block is
// [a_i·b_j ‖ a_i·a_j (self masked)] / τ, of the right block [b_i·a_j ‖ b_i·b_j (self masked)] / τ.
// Differentiated op by op, tfjs would run dozens of element-wise kernels over B × 2B matrices per
// loss in the backward pass; the written gradient needs a few matMuls. test/unit/losses.test.ts
// checks it against the op-by-op version (`reference` below).
import { tf } from '../runtime/tf';
import { l2normalize } from './ops';

const LARGE = 1e9;

/** Per backend and batch size: the self-similarity mask (LARGE on the diagonal), the same mask
 *  placed over the intra-graph half of a B × 2B block, and the ICL target [I ‖ 0]. Kept across
 *  steps (a handful of sizes per run) instead of rebuilt in every loss; by backend, as a tensor made
 *  on another one would be moved (read back) at each use. */
const constants = new Map<string, { mask: tf.Tensor2D; blockMask: tf.Tensor2D; diag: tf.Tensor2D }>();
function constantsFor(B: number): { mask: tf.Tensor2D; blockMask: tf.Tensor2D; diag: tf.Tensor2D } {
  const key = `${tf.getBackend()} ${B}`;
  let c = constants.get(key);
  if (!c || c.mask.isDisposed) {
    c = tf.tidy(() => {
      const mask = tf.mul(tf.eye(B), LARGE) as tf.Tensor2D;
      return {
        mask: tf.keep(mask),
        blockMask: tf.keep(tf.concat([tf.zeros([B, B]), mask], 1) as tf.Tensor2D),
        diag: tf.keep(tf.concat([tf.eye(B), tf.zeros([B, B])], 1) as tf.Tensor2D),
      };
    });
    constants.set(key, c);
  }
  return c;
}

/** The two logit blocks of normalised na, nb at temperature τ (the plain-ops reference's). */
export function logitBlocks(na: tf.Tensor2D, nb: tf.Tensor2D, tau: number): [tf.Tensor2D, tf.Tensor2D] {
  const B = na.shape[0];
  const { mask } = constantsFor(B);
  const ab = tf.div(tf.matMul(na, tf.transpose(nb)), tau);
  const aa = tf.sub(tf.div(tf.matMul(na, tf.transpose(na)), tau), mask);
  const bb = tf.sub(tf.div(tf.matMul(nb, tf.transpose(nb)), tau), mask);
  return [tf.concat([ab, aa], 1) as tf.Tensor2D, tf.concat([tf.transpose(ab), bb], 1) as tf.Tensor2D];
}

/** IAL's fixed target: the joint's row distributions at τ₂ and Σ t·log t over both blocks. */
export interface IalTarget {
  blocks: [tf.Tensor2D, tf.Tensor2D];
  negEntropy: tf.Scalar;
}

/** One cross-entropy term over the two blocks: ICL (target null: the diagonal, mean over rows,
 *  ½ per block) or IAL's KL (mean over all B × 2B entries as PyTorch's kl_div 'mean', ½ per block),
 *  at temperature τ, times `weight` (null: 1). */
export interface Term {
  tau: number;
  target: IalTarget | null;
  weight: tf.Scalar | null;
}

/**
 * Σ_k weight_k · term_k on the cosine similarities of the rows of na and nb (normalised). Every
 * term is a row-wise cross-entropy over logit blocks that are the same similarities divided by its
 * τ, so one modality's ICL and IAL share their three similarity products and their backward pass:
 * the similarities' gradient is Σ_k weight_k·scale_k/τ_k·(softmax_k − target_k), taken back to na
 * and nb by four matMuls whatever the number of terms. Each row's softmax is computed once (its
 * log only enters the value through the row's max and log-sum, never as a B × 2B matrix).
 */
function fusedTerms(na: tf.Tensor2D, nb: tf.Tensor2D, terms: Term[]): tf.Scalar {
  const B = na.shape[0];
  const weighted = terms.filter((t) => t.weight !== null);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xa = args[0] as tf.Tensor2D;
    const xb = args[1] as tf.Tensor2D;
    const weights = args.slice(2, 2 + weighted.length) as tf.Scalar[];
    const save = args[2 + weighted.length] as tf.GradSaveFunc;
    const { blockMask, diag } = constantsFor(B);
    const ab = tf.matMul(xa, tf.transpose(xb));
    const sa = tf.concat([ab, tf.matMul(xa, tf.transpose(xa))], 1); // [a·b ‖ a·a]
    const sb = tf.concat([tf.transpose(ab), tf.matMul(xb, tf.transpose(xb))], 1); // [b·a ‖ b·b]
    const pairDot = tf.sum(tf.mul(xa, xb)); // Σ_i a_i·b_i: the ICL targets' logits × τ
    let value: tf.Tensor | null = null;
    let ga: tf.Tensor | null = null;
    let gb: tf.Tensor | null = null;
    const values: tf.Tensor[] = [];
    let w = 0;
    for (const term of terms) {
      const weight = term.weight ? weights[w++]! : null;
      // per block: the row max m and log-sum l; log softmax = z − m − l; softmax p = e / Σe
      const rows = (s: tf.Tensor) => {
        const z = tf.sub(tf.mul(s, 1 / term.tau), blockMask);
        const m = tf.max(z, 1, true);
        const e = tf.exp(tf.sub(z, m));
        const sum = tf.sum(e, 1, true);
        return { z, p: tf.div(e, sum), logNorm: tf.sum(tf.add(m, tf.log(sum))) };
      };
      const A = rows(sa);
      const Bk = rows(sb);
      let v: tf.Tensor;
      let scale: number;
      let ta: tf.Tensor;
      let tb: tf.Tensor;
      if (!term.target) {
        scale = 0.5 / B;
        ta = diag;
        tb = diag;
        // −Σ_i log softmax_ii over both blocks; the diagonal logits are a_i·b_i / τ in both
        v = tf.mul(tf.sub(tf.add(A.logNorm, Bk.logNorm), tf.mul(pairDot, 2 / term.tau)), scale);
      } else {
        scale = 0.5 / (2 * B * B);
        [ta, tb] = term.target.blocks;
        // Σ t·(log t − log p) = Σ t log t − Σ t·z + Σ_rows (m + l), as each row of t sums to 1
        const cross = tf.add(tf.sum(tf.mul(ta, A.z)), tf.sum(tf.mul(tb, Bk.z)));
        v = tf.mul(tf.add(tf.sub(term.target.negEntropy, cross), tf.add(A.logNorm, Bk.logNorm)), scale);
      }
      values.push(v);
      const c = weight ? tf.mul(weight, scale / term.tau) : tf.scalar(scale / term.tau);
      const da = tf.mul(tf.sub(A.p, ta), c);
      const db = tf.mul(tf.sub(Bk.p, tb), c);
      const dv = weight ? tf.mul(v, weight) : v;
      ga = ga ? tf.add(ga, da) : da;
      gb = gb ? tf.add(gb, db) : db;
      value = value ? tf.add(value, dv) : dv;
    }
    save([xa, xb, ga!, gb!, ...values.filter((_, k) => terms[k]!.weight !== null)]);
    return {
      value: value!,
      gradFunc: (dy, saved) => {
        const [s1, s2, g1, g2, ...termValues] = saved as tf.Tensor2D[];
        const gab = tf.slice(g1!, [0, 0], [B, B]);
        const gaa = tf.slice(g1!, [0, B], [B, B]);
        const gba = tf.slice(g2!, [0, 0], [B, B]);
        const gbb = tf.slice(g2!, [0, B], [B, B]);
        const c = tf.add(gab, tf.transpose(gba)); // couples a_i with b_j
        const sA = tf.add(gaa, tf.transpose(gaa));
        const sB = tf.add(gbb, tf.transpose(gbb));
        const da = tf.add(tf.matMul(c, s2!), tf.matMul(sA, s1!));
        const db = tf.add(tf.matMul(tf.transpose(c), s1!), tf.matMul(sB, s2!));
        return [tf.mul(da, dy), tf.mul(db, dy), ...termValues.map((v) => tf.mul(v, dy))];
      },
    };
  });
  return f(na, nb, ...weighted.map((t) => t.weight!)) as tf.Scalar;
}

/** Σ_k weight_k · term_k for one modality's left and right embeddings (normalised here). */
export function modalityLoss(a: tf.Tensor2D, b: tf.Tensor2D, terms: Term[]): tf.Scalar {
  return fusedTerms(l2normalize(a), l2normalize(b), terms);
}

/** ICL: in-batch contrastive loss with cross-graph and intra-graph negatives, ½ each direction. */
export function icl(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
  return modalityLoss(a, b, [{ tau, target: null, weight: null }]);
}

/** The joint's row distributions at τ₂: IAL's fixed target (computed outside any gradient path). */
export function ialTarget(jointA: tf.Tensor2D, jointB: tf.Tensor2D, tau2: number): IalTarget {
  const [za, zb] = logitBlocks(l2normalize(jointA), l2normalize(jointB), tau2);
  const blocks: [tf.Tensor2D, tf.Tensor2D] = [tf.softmax(za, 1), tf.softmax(zb, 1)];
  const plogp = (t: tf.Tensor2D) => tf.sum(tf.mul(t, tf.log(tf.maximum(t, 1e-30))));
  return { blocks, negEntropy: tf.add(plogp(blocks[0]), plogp(blocks[1])) as tf.Scalar };
}

/** IAL: KL(joint ‖ unimodal) of the row distributions at τ₂, ½ each direction (methods.md §0.5). */
export function ial(srcA: tf.Tensor2D, srcB: tf.Tensor2D, target: IalTarget, tau2: number): tf.Scalar {
  return modalityLoss(srcA, srcB, [{ tau: tau2, target, weight: null }]);
}

/** The same losses as plain differentiable tfjs ops (the fused version's test oracle). */
export const reference = {
  /** Kendall-style automatic weighting: Σ_m exp(−s_m)·L_m + s_m (the heads step expands it into the
   *  fused terms' weights). */
  autoWeighted(losses: tf.Scalar[], s: tf.Tensor1D): tf.Scalar {
    const stacked = tf.stack(losses) as tf.Tensor1D;
    return tf.sum(tf.add(tf.mul(tf.exp(tf.neg(s)), stacked), s)) as tf.Scalar;
  },
  icl(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
    const [za, zb] = logitBlocks(l2normalize(a), l2normalize(b), tau);
    const B = a.shape[0];
    const diag = tf.concat([tf.eye(B), tf.zeros([B, B])], 1);
    const ce = (z: tf.Tensor2D) => tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(z, 1), diag)), B));
    return tf.add(tf.mul(ce(za), 0.5), tf.mul(ce(zb), 0.5)) as tf.Scalar;
  },
  ial(srcA: tf.Tensor2D, srcB: tf.Tensor2D, target: IalTarget, tau2: number): tf.Scalar {
    const [pa, pb] = logitBlocks(l2normalize(srcA), l2normalize(srcB), tau2);
    const kl = (p: tf.Tensor2D, q: tf.Tensor2D) => tf.mean(tf.mul(q, tf.sub(tf.log(tf.maximum(q, 1e-30)), tf.logSoftmax(p, 1))));
    return tf.add(tf.mul(kl(pa, target.blocks[0]), 0.5), tf.mul(kl(pb, target.blocks[1]), 0.5)) as tf.Scalar;
  },
};
