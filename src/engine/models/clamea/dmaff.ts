// CLAMEA's dynamic modal attention flow fusion (DMAFF, §4.3 and appendix C; models.md "CLAMEA") of a
// pair of modalities A, B (attributes or images with the structure), per entity:
//   inter-modal flow   A_upd = attention of A over B's tokens · V_B      (one token: V_B(B))
//                      A_s = Linear([A ‖ A_upd]),   B_s likewise
//   cross-modal gate   G_A = σ(Linear(B_s)),  G_B = σ(Linear(A_s))
//   intra-modal flow   over the entity's two tokens {A_s, B_s}, `heads` heads, queries and keys
//                      scaled by (1 + G): Â_upd = A_s's attention output
//                      h^A = Linear(A_s + Â_upd),   h^B likewise
//   fusion             h^AB = w_A h^A + w_B h^B, w the attention each token *receives* in the intra
//                      flow (MEAformer's reading; appendix C's formula sums a row softmax, which is
//                      1 for every modality and gives uniform weights — models.md)
// Choices where the paper is silent or degenerate (README): an entity has one vector per modality,
// so attention "within a modality" over that one token is the identity map of its values, and the
// gate could change nothing; the intra flow therefore attends over the entity's two modality tokens.
// The gate reads the entity's own B_s (AvgPool over its one token), not a batch mean, so an entity's
// embedding does not depend on which entities share its batch.
// `maf` off (w/o MAF): no flows, h^A = Linear(A), weights a global softmax of two learnt logits.
import type { AddParam } from '../../nn/gat';
import { attend, linear, receivedWeights, type Linear } from '../../nn/tokens';
import { tf } from '../../runtime/tf';
import { torchLinear } from '../encoders';

export interface DmaffParams {
  /** inter flow: the value projection of the other modality, per side */
  interA: Linear;
  interB: Linear;
  catA: Linear;
  catB: Linear;
  gateA: Linear;
  gateB: Linear;
  /** intra flow: query, key, value per side */
  qA: Linear;
  kA: Linear;
  vA: Linear;
  qB: Linear;
  kB: Linear;
  vB: Linear;
  outA: Linear;
  outB: Linear;
  /** w/o MAF: the global fusion logits */
  logits: tf.Tensor1D;
}

export interface DmaffOptions {
  heads: number;
  maf: boolean;
  gate: boolean;
}

export function dmaffParams(add: AddParam, name: string, d: number, draw: () => number): DmaffParams {
  const lin = (n: string, inDims = d) => torchLinear(add, `${name}.${n}`, inDims, d, draw);
  return {
    interA: lin('interA'),
    interB: lin('interB'),
    catA: lin('catA', 2 * d),
    catB: lin('catB', 2 * d),
    gateA: lin('gateA'),
    gateB: lin('gateB'),
    qA: lin('qA'),
    kA: lin('kA'),
    vA: lin('vA'),
    qB: lin('qB'),
    kB: lin('kB'),
    vB: lin('vB'),
    outA: lin('outA'),
    outB: lin('outB'),
    logits: add(`${name}.logits`, tf.zeros([2])) as unknown as tf.Tensor1D,
  };
}

export interface DmaffOutput {
  hA: tf.Tensor2D;
  hB: tf.Tensor2D;
  fused: tf.Tensor2D;
  /** rows × 2: each entity's weights of A and B, summing to 1 */
  weights: tf.Tensor2D;
}

const identity = <X extends tf.Tensor>(x: X) => x;

export function dmaff(A: tf.Tensor2D, B: tf.Tensor2D, p: DmaffParams, o: DmaffOptions): DmaffOutput {
  const rows = A.shape[0];
  if (!o.maf) {
    const [hA, hB] = [linear(A, p.outA), linear(B, p.outB)];
    const weights = tf.tile(tf.reshape(tf.softmax(p.logits), [1, 2]), [rows, 1]) as tf.Tensor2D;
    return { hA, hB, weights, fused: weightedSum(hA, hB, weights) };
  }
  const As = linear(tf.concat([A, linear(B, p.interA)], 1) as tf.Tensor2D, p.catA);
  const Bs = linear(tf.concat([B, linear(A, p.interB)], 1) as tf.Tensor2D, p.catB);
  const scale = (x: tf.Tensor2D, gate: Linear, from: tf.Tensor2D) => (o.gate ? (tf.mul(x, tf.add(1, tf.sigmoid(linear(from, gate)))) as tf.Tensor2D) : x);
  const [qA, kA] = [scale(linear(As, p.qA), p.gateA, Bs), scale(linear(As, p.kA), p.gateA, Bs)];
  const [qB, kB] = [scale(linear(Bs, p.qB), p.gateB, As), scale(linear(Bs, p.kB), p.gateB, As)];
  const { context, probs } = attend([qA, qB], [kA, kB], [linear(As, p.vA), linear(Bs, p.vB)], o.heads, identity);
  const hA = linear(tf.add(As, context[0]!) as tf.Tensor2D, p.outA);
  const hB = linear(tf.add(Bs, context[1]!) as tf.Tensor2D, p.outB);
  const weights = receivedWeights(probs);
  return { hA, hB, weights, fused: weightedSum(hA, hB, weights) };
}

/** Row i: w_i0 · a_i + w_i1 · b_i. */
function weightedSum(a: tf.Tensor2D, b: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const [wa, wb] = tf.split(w, 2, 1) as tf.Tensor2D[];
  return tf.add(tf.mul(a, wa!), tf.mul(b, wb!)) as tf.Tensor2D;
}
