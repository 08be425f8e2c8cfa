// The per-step training schedule pieces of the models that step per batch (MEAformer, MPSEA), as the
// reference codes take them from PyTorch and transformers.
import { tf } from '../runtime/tf';

/** transformers' get_cosine_schedule_with_warmup: the learning-rate factor after `step` optimizer steps
 *  of `total`, with int(total · warmup) linear warm-up steps (so the very first step's factor is 0). */
export function cosineWithWarmup(step: number, total: number, warmup: number): number {
  const w = Math.floor(total * warmup);
  if (step < w) return step / Math.max(1, w);
  const progress = (step - w) / Math.max(1, total - w);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** torch.nn.utils.clip_grad_norm_: every gradient scaled by max / (‖all‖₂ + 1e-6) when that is below 1
 *  (‖all‖₂ the norm of every gradient together); returns new tensors, the caller disposes both. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, max: number): Record<string, tf.Tensor> {
  const names = Object.keys(grads);
  return tf.tidy(() => {
    // the factor stays a tensor: no read back to the host (a device backend keeps the step on it)
    const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!)))));
    const coef = tf.minimum(1, tf.div(max, tf.add(norm, 1e-6)));
    return Object.fromEntries(names.map((k) => [k, tf.mul(grads[k]!, coef)]));
  });
}
