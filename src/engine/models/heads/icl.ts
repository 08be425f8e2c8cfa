// The ICL (methods.md §0.5) of several embeddings of one batch at once, each with its gradient: what
// MEAformer's step needs seven times per batch (joint, each modality, each output token) and MPSEA's
// nine (late joint, each modality before and after its fusion). Each term is
// the heads' task (task.ts) over that one input with fusion weight 1 and no unimodal terms, whose
// joint ICL is then ICL(n(1 · n(x))) = ICL(x): the native heads where built, else the same loss in
// tfjs. With kernel threads on a CPU backend the terms are spread over them (thread 0 being this one),
// the widest first, each to the thread with the least work so far: a term costs about its width plus
// a fixed part (a 2,312-pair batch, one thread: 221 ms at 300 columns, 483 ms at 900 on the AMD EPYC
// of docs/benchmarks.md; `node bench/dense.mjs`).
import { icl } from '../../nn/losses';
import { hostKernelsOn, nativeDenseOn } from '../../runtime/native';
import { finish, postTask, sharedF32, sharedF64, workerCount, type Job } from '../../runtime/pool';
import { currentBackend, tf } from '../../runtime/tf';
import { batchHeads, type HeadsArgs } from './task';

export interface IclInput {
  /** 2·size rows (the batch's left rows, then its right rows) of `dims` columns */
  data: Float32Array;
  dims: number;
}

/** Each input's ICL at temperature τ over `size` pairs, and its gradient (same layout as the input). */
export function iclTerms(inputs: IclInput[], size: number, tau: number): { value: number; grad: Float32Array }[] {
  const backend = currentBackend();
  const W = hostKernelsOn(backend) ? workerCount() : 0;
  const argsOf = ({ data, dims }: IclInput): HeadsArgs => {
    const parts = [{ data, shape: [2 * size, dims] }, ...[1, 0, 0].map((v) => ({ data: Float32Array.of(v), shape: [1] }))];
    return {
      backend: backend as 'wasm' | 'cpu', // workers run only on these
      size,
      // without 7 and 8: the heads' unimodal ICL and distillation off, the joint's ICL alone
      options: { tauCl: tau, tauAl: 1, clLoss: 1, alLoss: 0, without: [7, 8] },
      inputs: parts,
      value: sharedF64(1),
      grads: parts.map((p) => sharedF32(p.data.length)),
    };
  };
  const args = inputs.map(argsOf);
  const load = new Array<number>(W + 1).fill(0);
  const thread = new Array<number>(args.length);
  [...inputs.keys()]
    .sort((a, b) => inputs[b]!.dims - inputs[a]!.dims)
    .forEach((k) => {
      const t = load.indexOf(Math.min(...load));
      thread[k] = t;
      load[t]! += inputs[k]!.dims + 250;
    });
  const jobs: Job[] = [];
  let failure: Error | null = null;
  args.forEach((a, k) => thread[k]! > 0 && jobs.push(postTask(thread[k]! - 1, 'batchHeads', a)));
  try {
    args.forEach((a, k) => thread[k] === 0 && batchHeads(a));
  } catch (err) {
    failure = err as Error;
  }
  finish(jobs, failure);
  return args.map((a) => ({ value: a.value[0]!, grad: a.grads[0]! }));
}

/**
 * The ICL of each input (2·size rows: the batch's left rows, then its right rows) as one vector op:
 * on CPU backends with the native dense kernels built, its forward runs iclTerms and keeps their
 * gradients for its backward, so the B × 2B activations never enter the tape (in tfjs ops, seven of
 * them and MEAformer's taped forward exceeded the wasm heap on FB15K-DB15K); elsewhere, or with
 * `kernel` 'tfjs', the loss in tfjs ops (device backends; the tests' reference). A model writes its
 * weighting of the terms in tfjs ops over this vector.
 */
export function iclValues(xs: tf.Tensor2D[], size: number, tau: number, kernel: 'auto' | 'tfjs' = 'auto'): tf.Tensor1D {
  if (kernel === 'tfjs' || !nativeDenseOn(currentBackend())) return tf.stack(xs.map((x) => icl(tf.slice(x, [0, 0], [size, -1]), tf.slice(x, [size, 0], [size, -1]), tau))) as tf.Tensor1D;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, xs.length) as tf.Tensor2D[];
    const terms = iclTerms(
      inputs.map((x) => ({ data: x.dataSync() as Float32Array, dims: x.shape[1] })),
      size,
      tau,
    );
    return {
      value: tf.tensor1d(terms.map((t) => t.value)),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync();
        return terms.map((t, i) =>
          tf.tensor2d(
            t.grad.map((v) => v * d[i]!),
            inputs[i]!.shape,
          ),
        );
      },
    };
  });
  return op(...xs) as tf.Tensor1D;
}
