// MEAformer's loss of one batch (methods.md §2.3; reference model/MEAformer.py forward and
// inner_view_loss): ICL(joint) + Σ over two groups — the modality embeddings and the transformer's
// output tokens — of Σ_slots e^{−s_k} ICL_k + s_k, one six-slot automatic loss weighting shared by both
// groups, an absent slot's ICL being 0 (its s_k still enters the sum).
import { icl } from '../../nn/losses';
import { nativeDenseOn } from '../../runtime/native';
import { currentBackend, tf } from '../../runtime/tf';
import { iclTerms } from '../heads/icl';

/**
 * The loss of one batch: `joint` and each group's tensors by slot (null: absent), each holding the
 * batch's `size` left rows then its right rows, and the log-variances `s` (one per slot). `kernel`:
 * 'auto' runs the ICLs natively where the native dense kernels are built (CPU backends), else the
 * formula in tfjs ops (device backends; the tests' reference).
 */
export function meaformerLoss(joint: tf.Tensor2D, groups: (tf.Tensor2D | null)[][], s: tf.Tensor1D, size: number, tau: number, kernel: 'auto' | 'tfjs' = 'auto'): tf.Scalar {
  if (kernel === 'auto' && nativeDenseOn(currentBackend())) return nativeLoss(joint, groups, s, size, tau);
  const pair = (x: tf.Tensor2D) => icl(tf.slice(x, [0, 0], [size, -1]), tf.slice(x, [size, 0], [size, -1]), tau);
  let loss: tf.Tensor = pair(joint);
  for (const group of groups) {
    loss = tf.add(loss, tf.sum(s));
    group.forEach((x, k) => x && (loss = tf.add(loss, tf.mul(tf.exp(tf.neg(tf.slice(s, k, 1))), pair(x)))));
  }
  return tf.sum(loss) as tf.Scalar;
}

/**
 * The loss as one op over its inputs whose forward runs the ICLs natively where built, spread over the kernel threads (heads/icl.ts), and
 * keeps their gradients for its backward, so the loss's activations never enter the tape (in tfjs ops,
 * they and the taped forward together exceeded the wasm heap on FB15K-DB15K).
 * ∂/∂s_k = Σ_groups 1 − e^{−s_k} ICL_k.
 */
function nativeLoss(joint: tf.Tensor2D, groups: (tf.Tensor2D | null)[][], s: tf.Tensor1D, size: number, tau: number): tf.Scalar {
  const slots = s.shape[0];
  const xs = [joint, ...groups.flat().filter((x) => x !== null)];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, xs.length) as tf.Tensor2D[];
    const sv = (args[xs.length] as tf.Tensor).dataSync();
    const terms = iclTerms(
      inputs.map((x) => ({ data: x.dataSync() as Float32Array, dims: x.shape[1] })),
      size,
      tau,
    );
    // each input's weight in the loss: 1 for the joint, e^{−s_k} for slot k's
    const weight = [1];
    const gS = new Float64Array(slots);
    let loss = terms[0]!.value;
    let next = 1;
    for (const group of groups) {
      group.forEach((x, k) => {
        const p = Math.exp(-sv[k]!);
        const value = x ? terms[next]!.value : 0;
        if (x) weight[next++] = p;
        loss += p * value + sv[k]!;
        gS[k]! += 1 - p * value;
      });
    }
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync()[0]!;
        return [
          ...terms.map((t, i) =>
            tf.tensor2d(
              t.grad.map((v) => v * weight[i]! * d),
              inputs[i]!.shape,
            ),
          ),
          tf.tensor1d(Float32Array.from(gS, (v) => v * d)),
        ];
      },
    };
  });
  return op(...xs, s) as tf.Scalar;
}
