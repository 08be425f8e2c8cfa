// MEAformer's loss of one batch (methods.md §2.3; reference model/MEAformer.py forward and
// inner_view_loss): ICL(joint) + Σ over two groups — the modality embeddings and the transformer's
// output tokens — of Σ_slots e^{−s_k} ICL_k + s_k, one six-slot automatic loss weighting shared by both
// groups, an absent slot's ICL being 0 (its s_k still enters the sum). The ICLs are one vector op
// (heads/icl.ts iclValues: native where built); the weighting is tfjs ops over it.
import { matMul } from '../../nn/ops';
import { tf } from '../../runtime/tf';
import { iclValues } from '../heads/icl';

/**
 * The loss of one batch: `joint` and each group's tensors by slot (null: absent), each holding the
 * batch's `size` left rows then its right rows, and the log-variances `s` (one per slot). `kernel`:
 * 'auto' runs the ICLs natively where the native dense kernels are built (CPU backends), 'tfjs' in
 * tfjs ops (as device backends do).
 */
export function meaformerLoss(joint: tf.Tensor2D, groups: (tf.Tensor2D | null)[][], s: tf.Tensor1D, size: number, tau: number, kernel: 'auto' | 'tfjs' = 'auto'): tf.Scalar {
  // an absent group (an empty list: w/o the hidden ICL) has no terms at all, not even its s_k
  const present = groups.filter((g) => g.length > 0).map((g) => g.flatMap((x, k) => (x ? [k] : [])));
  const values = iclValues([joint, ...groups.flat().filter((x) => x !== null)], size, tau, kernel);
  const precision = tf.exp(tf.neg(s));
  let loss: tf.Tensor = tf.slice(values, 0, 1);
  let next = 1;
  for (const slots of present) {
    loss = tf.add(loss, tf.sum(s));
    // Σ over the group's present slots of e^{−s_k} ICL_k: their ICLs (a slice of the vector) against
    // their precisions (a constant 0/1 selection product: tf.gather has no gradient on wasm)
    if (slots.length === 0) continue;
    const pick = new Float32Array(slots.length * s.shape[0]);
    slots.forEach((k, i) => (pick[i * s.shape[0] + k] = 1));
    const weights = tf.reshape(matMul(tf.tensor2d(pick, [slots.length, s.shape[0]]), tf.reshape(precision, [-1, 1]) as tf.Tensor2D), [slots.length]);
    loss = tf.add(loss, tf.sum(tf.mul(tf.slice(values, next, slots.length), weights)));
    next += slots.length;
  }
  return tf.sum(loss) as tf.Scalar;
}
