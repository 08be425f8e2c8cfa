// The loss heads of one training batch (methods.md §1.3), as a pure function of the batch's modality
// embeddings, the fusion weights and the loss-weighting vectors: what Trainer.step differentiates per
// batch, on this thread or — with kernel threads on a CPU backend — on a worker (pool.ts).
import { ialTarget, icl, modalityLoss, type Term } from '../../nn/losses';
import { fuse } from '../../nn/ops';
import { tf } from '../../runtime/tf';

export interface HeadOptions {
  tauCl: number;
  tauAl: number;
  clLoss: number;
  alLoss: number;
  without: number[];
}

/** One batch's loss from its modality embeddings (left rows then right rows), the fusion weights
 *  and the two loss-weighting vectors (methods.md §1.3): `xs` = [...mods, weights, sCl, sAl]. */
export function batchLoss(xs: tf.Tensor[], size: number, o: HeadOptions): tf.Scalar {
  const M = xs.length - 3;
  const mods = xs.slice(0, M) as tf.Tensor2D[];
  const [weights, sCl, sAl] = xs.slice(M) as tf.Tensor1D[];
  const L = (t: tf.Tensor2D) => tf.slice(t, [0, 0], [size, -1]);
  const R = (t: tf.Tensor2D) => tf.slice(t, [size, 0], [size, -1]);
  const joint = fuse(mods, weights!);
  const jl = L(joint);
  const jr = R(joint);
  let loss: tf.Tensor = icl(jl, jr, o.tauCl);
  // cl_loss·Σ_m [e^{−s_m}·ICL_m + s_m] + al_loss·Σ_m [e^{−s'_m}·al_loss·IAL_m + s'_m] (autoWeighted,
  // expanded so that each modality's ICL and IAL are one fused operation on shared similarities)
  const useIcl = !o.without.includes(7);
  const target = o.without.includes(8) ? null : ialTarget(jl, jr, o.tauAl);
  const wCl = useIcl ? tf.mul(tf.exp(tf.neg(sCl!)), o.clLoss) : null;
  const wAl = target ? tf.mul(tf.exp(tf.neg(sAl!)), o.alLoss * o.alLoss) : null;
  const at = (w: tf.Tensor, k: number) => tf.reshape(tf.slice(w, k, 1), []) as tf.Scalar;
  mods.forEach((m, k) => {
    const terms: Term[] = [];
    if (wCl) terms.push({ tau: o.tauCl, target: null, weight: at(wCl, k) });
    if (wAl && target) terms.push({ tau: o.tauAl, target, weight: at(wAl, k) });
    if (terms.length > 0) loss = tf.add(loss, modalityLoss(L(m), R(m), terms));
  });
  if (useIcl) loss = tf.add(loss, tf.mul(tf.sum(sCl!), o.clLoss));
  if (target) loss = tf.add(loss, tf.mul(tf.sum(sAl!), o.alLoss));
  return loss as tf.Scalar;
}
