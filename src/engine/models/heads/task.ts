// One batch's loss and its gradients (loss.ts), as a task a kernel worker runs (runtime/pool.ts) on its own
// tensor backend — the same backend as the calling thread's, so the same kernels give the same numbers
// — or, on a CPU backend with the native dense kernels built, in native/dense.cc on any thread.
import { batchLoss, type HeadOptions } from './loss';
import { nativeDenseOn, type NativeDense } from '../../runtime/native';
import { initBackend, tf } from '../../runtime/tf';

export interface HeadsArgs {
  /** a backend that runs on this CPU, as the caller's */
  backend: 'wasm' | 'cpu';
  /** pairs in the batch: each input holds size left rows then size right rows */
  size: number;
  options: HeadOptions;
  /** [...modality embeddings, fusion weights, sCl, sAl] */
  inputs: { data: Float32Array; shape: number[] }[];
  /** out: [0] the loss */
  value: Float64Array;
  /** out: d loss / d input, one per input */
  grads: Float32Array[];
}

/** The loss and gradients of `batchLoss` for `a.inputs`, written into `a.value` and `a.grads`:
 *  natively (native/dense.cc) when built, on the CPU backends (~4.5× faster than tfjs's kernels on
 *  wasm: docs/benchmarks.md, "Speed"), else with tfjs. */
export function batchHeads(a: HeadsArgs): void {
  const dense = nativeHeadsOn(a.backend);
  if (dense) return dense.batchHeads(a);
  tf.tidy(() => {
    const xs = a.inputs.map(({ data, shape }) => tf.tensor(data, shape));
    const { value, grads } = tf.valueAndGrads((...x: tf.Tensor[]) => batchLoss(x, a.size, a.options))(xs);
    a.value[0] = value.dataSync()[0]!;
    grads.forEach((g, k) => a.grads[k]!.set(g.dataSync()));
  });
}

/** native/dense.cc's loss heads: loss.ts batchLoss's value and gradients, written into `args.value`
 *  and `args.grads` (the addon is loaded by the runtime; its model-specific export is typed here). */
interface NativeHeads {
  batchHeads(args: HeadsArgs): void;
}
const nativeHeadsOn = (backend: string) => nativeDenseOn(backend) as (NativeDense & NativeHeads) | null;

let ready: Promise<unknown> | null = null;

export async function batchHeadsTask(a: HeadsArgs): Promise<void> {
  if (nativeDenseOn(a.backend)) return batchHeads(a); // no tensor backend needed
  ready ??= initBackend(a.backend);
  await ready;
  batchHeads(a);
}
