// The ICL (methods.md §0.5) of several embeddings of one batch at once, each with its gradient: what
// MEAformer's step needs seven times per batch (joint, each modality, each output token). Each term is
// the heads' task (task.ts) over that one input with fusion weight 1 and no unimodal terms, whose
// joint ICL is then ICL(n(1 · n(x))) = ICL(x): the native heads where built, else the same loss in
// tfjs. With kernel threads on a CPU backend the terms are spread over them (thread 0 being this one),
// the widest first, each to the thread with the least work so far: a term costs about its width plus
// a fixed part (a 2,312-pair batch: 223 ms at 300 columns, 470 ms at 900, on this EPYC).
import { isCpuBackend } from '../../runtime/native';
import { finish, postTask, sharedF32, sharedF64, workerCount, type Job } from '../../runtime/pool';
import { currentBackend } from '../../runtime/tf';
import { batchHeads, type HeadsArgs } from './task';

export interface IclInput {
  /** 2·size rows (the batch's left rows, then its right rows) of `dims` columns */
  data: Float32Array;
  dims: number;
}

/** Each input's ICL at temperature τ over `size` pairs, and its gradient (same layout as the input). */
export function iclTerms(inputs: IclInput[], size: number, tau: number): { value: number; grad: Float32Array }[] {
  const backend = currentBackend();
  const W = isCpuBackend(backend) ? workerCount() : 0;
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
