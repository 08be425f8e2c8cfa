// One training epoch of the models that share the ICL/IAL loss heads (methods.md §0.5: MCLEA, HUMEA):
// one forward of the needed entities, the batch losses (loss.ts) summed into one scalar, one AdamW
// step. Two passes, so that a whole epoch's batch activations are never held together (they exceeded
// the wasm heap on FB15K-DB15K): (1) a forward without gradient tape, then per batch the loss and its
// gradient with respect to that batch's embeddings, the batch's activations freed at once; (2) the
// encoders' backward pass from those gradients (Σ ⟨output, gradient⟩ differentiated), on a forward
// that reuses pass 1's products (Memo) and the same gate noise.
import type { Modality } from '../../../shared/models/modalities';
import type { AdamW } from '../../nn/adamw';
import { scatterAddRows, type Memo } from '../../nn/ops';
import { onDevice } from '../../runtime/kernelPath';
import { hostKernelsOn, nativeDenseOn } from '../../runtime/native';
import { finish, postTask, sharedF32, sharedF64, workerCount, type Job } from '../../runtime/pool';
import { currentBackend, tf } from '../../runtime/tf';
import type { BatchPlan } from '../types';
import { batchLoss, type HeadOptions } from './loss';
import { batchHeads, type HeadsArgs } from './task';

/** What the heads need of an encoder's forward over some rows. */
export interface HeadsForward {
  /** per present modality, rows × d (not normalised) */
  mods: Map<Modality, tf.Tensor2D>;
  /** per present modality, its fusion weight */
  weights: tf.Tensor1D;
}

export interface HeadsEncoder<F extends HeadsForward> {
  forward(rows: Int32Array, training: boolean, noiseSeed: number, memo?: Memo): F;
}

/** A model's own term in the step (HUMEA's CLUB bound): added to the differentiated sum, with its
 *  value added to the loss; `after` runs once the encoders have stepped. */
export interface ExtraTerm<F extends HeadsForward> {
  term(g: F): tf.Scalar;
  after(): void;
}

export interface HeadsStepOptions extends HeadOptions {
  seed: number;
}

/** The distinct rows of `rows` in first-seen order, and where each of `rows` is among them
 *  (null when they are all distinct, so the common case needs no gather). */
function uniqueRows(rows: Int32Array): { rows: Int32Array; at: Int32Array | null } {
  const index = new Map<number, number>();
  const at = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    let k = index.get(r);
    if (k === undefined) index.set(r, (k = index.size));
    at[i] = k;
  });
  if (index.size === rows.length) return { rows, at: null };
  return { rows: Int32Array.from(index.keys()), at };
}

/**
 * One epoch over `plan` for an encoder under the ICL/IAL heads; `params` holds every trainable
 * tensor (the encoder's and the loss weights `awl.cl`, `awl.al`), `optimizer` steps them once.
 * `extra(rows)`: the model's own term for this step's (distinct) rows, if any. Returns the loss
 * (a scalar on the backend). On the device path (runtime/kernelPath.ts) the batches' inputs are
 * sliced or gathered on the backend and their heads run in tfjs ops: nothing is read to the host.
 */
export function headsStep<F extends HeadsForward>(
  encoder: HeadsEncoder<F>,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
  o: HeadsStepOptions,
  plan: BatchPlan,
  extra?: (rows: Int32Array) => ExtraTerm<F> | null,
): tf.Scalar {
  const e = plan.epoch;
  const { batches } = plan;
  // the entities go through the encoders once even when the curriculum repeats them in its list
  const { rows, at: rowAt } = uniqueRows(plan.rows);
  const memo: Memo = new Map();
  const seed = o.seed * 7 + e;
  const sCl = params.get('awl.cl')!;
  const sAl = params.get('awl.al')!;
  let loss = tf.scalar(0);
  const addLoss = (x: tf.Scalar) => {
    const sum = tf.add(loss, x) as tf.Scalar;
    tf.dispose([loss, x]);
    loss = sum;
  };
  // MMEA_PROFILE=1: each stage's time since the step began, and tfjs's memory, on standard error
  const t0 = performance.now();
  const mb = (x: number) => Math.round(x / 2 ** 20);
  const prof = process.env.MMEA_PROFILE
    ? (label: string) => {
        const m = process.memoryUsage();
        console.error(
          label,
          (performance.now() - t0).toFixed(0),
          'ms',
          JSON.stringify({ ...tf.memory(), rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) }),
        );
      }
    : () => {};
  // pass 1
  const [weights, ...mods] = tf.tidy(() => {
    const f = encoder.forward(rows, true, seed, memo);
    return [f.weights, ...f.mods.values()];
  });
  prof('forward');
  const M = mods.length;
  const parts: tf.Tensor[][] = Array.from({ length: M }, () => []);
  let gRest: tf.Tensor[] = [tf.zerosLike(weights!), tf.zerosLike(sCl), tf.zerosLike(sAl)];
  // a batch's rows of each modality, copied in TypeScript from the step's embeddings read once:
  // the batch inputs are leaves of the loss's gradient, so the copy needs no gradient, and the
  // batches sent to workers need no tensor work here (slicing them out as tensors and reading
  // them back cost ~0.5 s per batch on this thread in a profiled FB15K-DB15K step)
  const device = onDevice();
  const modData = device ? [] : mods.map((m) => m.dataSync() as Float32Array);
  const take = (k: number, at: number, size: number): Float32Array => {
    const d = mods[k]!.shape[1];
    const src = modData[k]!;
    if (!rowAt) return src.subarray(at * d, (at + 2 * size) * d);
    const out = new Float32Array(2 * size * d);
    for (let i = 0; i < 2 * size; i++) {
      const r = rowAt[at + i]!;
      out.set(src.subarray(r * d, (r + 1) * d), i * d);
    }
    return out;
  };
  const shapeOf = (k: number, size: number) => [2 * size, mods[k]!.shape[1]];
  // batches are independent: with kernel threads on a CPU backend, batch b runs on thread
  // b mod (workers + 1), thread 0 being this one; same function, same backend, same numbers.
  // On a CPU backend with the native dense kernels, every batch's heads run natively (task.ts)
  const backend = currentBackend();
  const native = nativeDenseOn(backend) !== null;
  const W = hostKernelsOn(backend) ? workerCount() : 0;
  // the fusion weights and loss weights, read once for every batch (the host kernels' inputs)
  const small = W > 0 || native ? [weights!, sCl, sAl].map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape })) : [];
  const heads: HeadOptions = { tauCl: o.tauCl, tauAl: o.tauAl, clLoss: o.clLoss, alLoss: o.alLoss, without: o.without };
  const argsOf = (at: number, size: number): HeadsArgs => {
    const inputs = [...mods.map((_, m) => ({ data: take(m, at, size), shape: shapeOf(m, size) })), ...small];
    return {
      backend: backend as 'wasm' | 'cpu', // batches leave the tfjs path only on these
      size,
      options: heads,
      inputs,
      value: sharedF64(1),
      grads: inputs.map((x) => sharedF32(x.data.length)),
    };
  };
  const done = new Map<number, { job: Job | null; args: HeadsArgs }>();
  batches.forEach(([at, size], b) => {
    const k = b % (W + 1);
    if (k !== 0) {
      const args = argsOf(at, size);
      done.set(b, { job: postTask(k - 1, 'batchHeads', args), args });
    }
  });
  const results: tf.Tensor[][] = [];
  let failure: Error | null = null;
  try {
    batches.forEach(([at, size], b) => {
      if (done.has(b)) return;
      if (native) {
        const args = argsOf(at, size);
        batchHeads(args);
        done.set(b, { job: null, args });
        return;
      }
      // a batch's rows of a modality: on the device sliced or gathered there, else from the host copy
      const batchRows = (m: number): tf.Tensor => {
        if (!device) return tf.tensor(take(m, at, size), shapeOf(m, size));
        if (!rowAt) return tf.slice(mods[m]!, [at, 0], [2 * size, -1]);
        return tf.gather(mods[m]!, tf.tensor1d(rowAt.subarray(at, at + 2 * size), 'int32'));
      };
      results[b] = tf.tidy(() => {
        const inputs = [...mods.map((_, m) => batchRows(m)), weights!, sCl, sAl];
        const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => batchLoss(xs, size, heads))(inputs);
        return [value, ...grads];
      });
    });
  } catch (err) {
    failure = err as Error;
  }
  finish(
    [...done.values()].flatMap((r) => (r.job ? [r.job] : [])),
    failure,
  );
  for (const [b, { args }] of done) results[b] = [tf.scalar(args.value[0]!), ...args.grads.map((g, k) => tf.tensor(g, args.inputs[k]!.shape))];
  // summed in batch order, whichever thread computed a batch
  for (const out of results) {
    addLoss(out[0] as tf.Scalar);
    for (let m = 0; m < M; m++) parts[m]!.push(out[1 + m]!);
    const next = gRest.map((g, k) => tf.add(g, out[1 + M + k]!));
    tf.dispose([...gRest, ...out.slice(1 + M)]);
    gRest = next;
  }
  prof('heads');
  let gMods = parts.map((p) => (p.length === 1 ? p[0]! : tf.concat(p, 0)));
  tf.dispose([...parts.flat().filter((t) => !gMods.includes(t)), weights!, ...mods]);
  if (rowAt) {
    const summed = gMods.map((g) => scatterAddRows(g as tf.Tensor2D, rowAt, rows.length));
    tf.dispose(gMods);
    gMods = summed;
  }
  // pass 2 (with a model's extra term, e.g. CLUB's upper bound, on the same forward)
  const vars = [...params.values()];
  const more = extra?.(rows) ?? null;
  let term: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const g = encoder.forward(rows, true, seed, memo);
    let s: tf.Tensor = tf.add(tf.sum(tf.mul(g.weights, gRest[0]!)), tf.add(tf.sum(tf.mul(sCl, gRest[1]!)), tf.sum(tf.mul(sAl, gRest[2]!))));
    [...g.mods.values()].forEach((m, k) => (s = tf.add(s, tf.sum(tf.mul(m, gMods[k]!)))));
    if (more) {
      term = tf.keep(more.term(g));
      s = tf.add(s, term);
    }
    return s as tf.Scalar;
  }, vars);
  prof('backward');
  const byName: Record<string, tf.Tensor> = {};
  for (const [name, v] of params) if (grads[v.name]) byName[name] = grads[v.name]!;
  optimizer.apply(byName);
  tf.dispose([value, ...Object.values(grads), ...gMods, ...gRest]);
  prof('adamw');
  if (more && term) {
    addLoss(term);
    more.after();
    prof('extra');
  }
  return loss;
}
