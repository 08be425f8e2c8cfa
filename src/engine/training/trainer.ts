// Training HUMEA (methods.md §1.3, §1.5): one forward of the needed entities per epoch, the batch
// losses (unimodal ICL and joint→unimodal IAL under automatic weighting, joint ICL) summed into one
// scalar, one AdamW step. Evaluation every `checkPoint` epochs on the validation pairs (model
// selection) and on the test pairs (reported: the validation-selected epoch, the best-on-test epoch
// as the papers pick it, labelled as such, and the last epoch). Optional iterative training with
// mutual-nearest-neighbour pseudo-labels (§0.7, and §8's calibration).
import type { Features } from '../features/build';
import { mulberry32, permutation } from '../random';
import { AdamW, ADAMW_DEFAULTS } from '../nn/adamw';
import { evaluate, mutualNearest, type Metrics } from './evaluate';
import { HUMEA_DEFAULTS, Humea, type HumeaConfig, type Modality } from '../models/humea/model';
import { Club, clubDraw } from '../models/humea/club';
import { curriculumK, curriculumList } from './curriculum';
import { batchLoss } from '../models/heads/loss';
import { batchHeads, type HeadsArgs } from '../models/heads/task';
import { isCpuBackend, nativeDenseOn } from '../runtime/native';
import { finish, postTask, sharedF32, sharedF64, workerCount, type Job } from '../runtime/pool';
import { l2normalize, type Memo } from '../nn/ops';
import { currentBackend, tf } from '../runtime/tf';

export interface TrainOptions extends HumeaConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  tauCl: number; // τ of the contrastive losses
  tauAl: number; // τ₂ of the distillation
  clLoss: number; // weight of the unimodal ICL group
  alLoss: number; // weight (and inner zoom) of the IAL group
  checkPoint: number; // evaluate every this many epochs
  csls: number; // CSLS k in evaluation (0: cosine)
  iterative: 'off' | 'mnn' | 'calibrated';
  ilStart: number;
  semiLearnStep: number;
  /** the reference's curriculum batch grouping (methods.md §1.4) in epochs 0–249 */
  curriculum: boolean;
  /** weight of the CLUB expert-disentanglement term (methods.md §1.2; 0: off, the logged runs') */
  miLoss: number;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  ...HUMEA_DEFAULTS,
  epochs: 1000,
  batchSize: 512,
  lr: ADAMW_DEFAULTS.lr,
  weightDecay: ADAMW_DEFAULTS.weightDecay,
  tauCl: 0.1,
  tauAl: 4.0,
  clLoss: 1.0,
  alLoss: 0.1,
  checkPoint: 10,
  csls: 3,
  iterative: 'off',
  ilStart: 500,
  semiLearnStep: 5,
  curriculum: false,
  miLoss: 0,
};

export interface Evaluation {
  epoch: number;
  valid: Metrics | null;
  test: Metrics;
  weights: Record<string, number>;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  seconds: number;
  trainPairs: number;
}

export interface TrainHooks {
  onEpoch?(log: EpochLog): void;
  onEvaluation?(e: Evaluation, selected: boolean): void | Promise<void>;
  /** asked between epochs; true stops the run after the current epoch */
  shouldStop?(): boolean;
}

export interface TrainResult {
  validationSelected: Evaluation | null;
  bestOnTest: Evaluation | null;
  last: Evaluation | null;
  epochs: number;
  secondsPerEpoch: number;
  evaluations: Evaluation[];
  pseudoLabels: number;
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

/** Σ of the rows of `g` that map to the same target row (the gradient of a gather by `at`):
 *  plain TypeScript, as wasm has no UnsortedSegmentSum. */
function scatterAddRows(g: tf.Tensor2D, at: Int32Array, targets: number): tf.Tensor2D {
  const d = g.shape[1];
  const src = g.dataSync();
  const out = new Float32Array(targets * d);
  for (let i = 0; i < at.length; i++) {
    const o = at[i]! * d;
    for (let c = 0; c < d; c++) out[o + c]! += src[i * d + c]!;
  }
  return tf.tensor2d(out, [targets, d]);
}

/** Experts i and j of a rows × experts × hidden tensor, each rows × hidden. */
function expertPair(x: tf.Tensor3D, [i, j]: [number, number]): [tf.Tensor2D, tf.Tensor2D] {
  const [P, , H] = x.shape;
  const one = (e: number) => tf.reshape(tf.slice(x, [0, e, 0], [P, 1, H]), [P, H]) as tf.Tensor2D;
  return [one(i), one(j)];
}

/** Rows of a flat pair list's left or right side. */
function side(pairs: Int32Array, k: 0 | 1): Int32Array {
  return Int32Array.from({ length: pairs.length / 2 }, (_, i) => pairs[2 * i + k]!);
}

export class Trainer {
  readonly model: Humea;
  readonly optimizer: AdamW;
  readonly params: Map<string, tf.Variable>;
  epoch = 0; // epochs done
  /** training pairs: the seeds, then merged pseudo-labels */
  train: Int32Array;
  /** iterative training: candidates collected in the current window, and the last merge round's */
  candidates: Map<number, number> | null = null;
  previousMerge = new Map<number, number>();
  /** the curriculum's current grouped pair list (flat rows), kept between its rebuilds */
  curriculum: Int32Array | null = null;
  /** CLUB's estimator nets, when miLoss > 0 and a modality has experts */
  readonly club: Club | null;

  constructor(
    readonly features: Features,
    readonly options: TrainOptions,
  ) {
    this.model = new Humea(features, options);
    const M = this.model.present.length;
    this.params = new Map(this.model.params);
    this.params.set('awl.cl', tf.variable(tf.zeros([M]), true, `${this.model.prefix}.awl.cl`));
    this.params.set('awl.al', tf.variable(tf.zeros([M]), true, `${this.model.prefix}.awl.al`));
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
    const moe = this.model.present.filter((m) => m !== 'gph');
    this.club = options.miLoss > 0 && moe.length > 0 ? new Club(moe, options.hidden, options.seed, this.model.prefix) : null;
    this.train = features.split.train;
  }

  /** Epoch `e`'s order of the training pairs (seeded by seed and epoch, so a resumed run matches). */
  private epochOrder(e: number): Int32Array {
    return permutation(this.train.length / 2, mulberry32(this.options.seed * 100003 + e));
  }

  /** Epoch `e`'s training pairs in batch order (flat left, right rows): the seeded shuffle, or with
   *  the curriculum (before `ilStart`, rebuilt every 50 epochs) its grouped list. */
  private epochPairs(e: number): Int32Array {
    const order = this.epochOrder(e);
    const pairs = new Int32Array(2 * order.length);
    order.forEach((p, i) => pairs.set(this.train.subarray(2 * p, 2 * p + 2), 2 * i));
    if (!this.options.curriculum) return pairs;
    const k = curriculumK(e, this.options.ilStart);
    if (k === 0) this.curriculum = null;
    else if (k !== null) {
      // the reference groups by this epoch's (training-mode) joint embeddings of every entity
      const joint = tf.tidy(() => this.model.forward(null, true, this.options.seed * 7 + e).joint);
      try {
        this.curriculum = curriculumList(pairs, joint, k);
      } finally {
        joint.dispose();
      }
    }
    return this.curriculum ?? pairs;
  }

  /** The rows of a pair list: per batch of pairs, its left rows then its right rows. */
  private batchRows(pairs: Int32Array): { rows: Int32Array; batches: [number, number][] } {
    const n = pairs.length / 2;
    const B = this.options.batchSize;
    const rows = new Int32Array(2 * n);
    const batches: [number, number][] = [];
    for (let s = 0; s < n; s += B) {
      const size = Math.min(B, n - s);
      for (let i = 0; i < size; i++) {
        rows[2 * s + i] = pairs[2 * (s + i)]!;
        rows[2 * s + size + i] = pairs[2 * (s + i) + 1]!;
      }
      batches.push([2 * s, size]);
    }
    return { rows, batches };
  }

  /**
   * One epoch: forward, backward, one AdamW step; returns the loss (the sum over batches).
   * Two passes, so that a whole epoch's batch activations are never held together (they exceeded
   * the wasm heap on FB15K-DB15K): (1) a forward without gradient tape, then per batch the loss and
   * its gradient with respect to that batch's embeddings, the batch's activations freed at once;
   * (2) the encoders' backward pass from those gradients (Σ ⟨output, gradient⟩ differentiated),
   * on a forward that reuses pass 1's products (Memo) and the same gate noise.
   */
  step(): number {
    const e = this.epoch;
    const { rows: batchRows, batches } = this.batchRows(this.epochPairs(e));
    // the entities go through the encoders once even when the curriculum repeats them in its list
    const { rows, at: rowAt } = uniqueRows(batchRows);
    const memo: Memo = new Map();
    const seed = this.options.seed * 7 + e;
    const sCl = this.params.get('awl.cl')!;
    const sAl = this.params.get('awl.al')!;
    let loss = 0;
    // MMEA_PROFILE=1: each stage's time since the step began, and tfjs's memory, on standard error
    const t0 = performance.now();
    const mb = (x: number) => Math.round(x / 2 ** 20);
    const prof = process.env.MMEA_PROFILE
      ? (label: string) => {
          const m = process.memoryUsage();
          console.error(label, (performance.now() - t0).toFixed(0), 'ms', JSON.stringify({ ...tf.memory(), rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) }));
        }
      : () => {};
    // pass 1
    const [weights, ...mods] = tf.tidy(() => {
      const f = this.model.forward(rows, true, seed, memo);
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
    const modData = mods.map((m) => m.dataSync() as Float32Array);
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
    // On a CPU backend with the native dense kernels, every batch's heads run natively (models/heads/task.ts)
    const backend = currentBackend();
    const native = nativeDenseOn(backend) !== null;
    const W = isCpuBackend(backend) ? workerCount() : 0;
    // the fusion weights and loss weights, read once for every batch
    const small = [weights!, sCl, sAl].map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
    const argsOf = (at: number, size: number): HeadsArgs => {
      const inputs = [...mods.map((_, m) => ({ data: take(m, at, size), shape: shapeOf(m, size) })), ...small];
      return {
        backend: backend as 'wasm' | 'cpu', // batches leave the tfjs path only on these
        size,
        options: this.options,
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
        results[b] = tf.tidy(() => {
          const inputs = [...mods.map((_, m) => tf.tensor(take(m, at, size), shapeOf(m, size))), weights!, sCl, sAl];
          const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => batchLoss(xs, size, this.options))(inputs);
          return [value, ...grads];
        });
      });
    } catch (err) {
      failure = err as Error;
    }
    finish([...done.values()].flatMap((r) => (r.job ? [r.job] : [])), failure);
    for (const [b, { args }] of done) results[b] = [tf.scalar(args.value[0]!), ...args.grads.map((g, k) => tf.tensor(g, args.inputs[k]!.shape))];
    // summed in batch order, whichever thread computed a batch
    for (const out of results) {
      loss += out[0]!.dataSync()[0]!;
      out[0]!.dispose();
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
    // pass 2 (with CLUB, its upper bound is a per-step term on the same forward)
    const vars = [...this.params.values()];
    const club = this.club;
    const draw = club ? clubDraw(this.options.seed, e, club.modalities, this.options.experts, rows.length) : null;
    let mi: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const g = this.model.forward(rows, true, seed, memo);
      let s: tf.Tensor = tf.add(tf.sum(tf.mul(g.weights, gRest[0]!)), tf.add(tf.sum(tf.mul(sCl, gRest[1]!)), tf.sum(tf.mul(sAl, gRest[2]!))));
      [...g.mods.values()].forEach((m, k) => (s = tf.add(s, tf.sum(tf.mul(m, gMods[k]!)))));
      if (club && draw) {
        const bounds = club.modalities.map((m) => club.upperBound(m, ...expertPair(g.experts.get(m as Modality)!, draw.pick.get(m)!), draw.perm));
        mi = tf.keep(tf.div(tf.addN(bounds), bounds.length));
        s = tf.add(s, tf.mul(mi, this.options.miLoss));
      }
      return s as tf.Scalar;
    }, vars);
    prof('backward');
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of this.params) if (grads[v.name]) byName[name] = grads[v.name]!;
    this.optimizer.apply(byName);
    tf.dispose([value, ...Object.values(grads), ...gMods, ...gRest]);
    prof('adamw');
    if (club && draw && mi) {
      loss += this.options.miLoss * (mi as tf.Tensor).dataSync()[0]!;
      (mi as tf.Tensor).dispose();
      // the estimator's own step, after the encoder's, on fresh expert outputs (gate noise drawn
      // anew); only the MoEs are run, the structure encoder has no experts
      tf.tidy(() => {
        const experts = this.model.expertOutputs(rows, true, seed + 1);
        club.learn(new Map(club.modalities.map((m) => [m, expertPair(experts.get(m as Modality)!, draw.pick.get(m)!)])));
      });
      prof('club');
    }
    this.epoch++;
    return loss;
  }

  /** Normalised joint embeddings of every entity (evaluation mode). */
  embed(): tf.Tensor2D {
    return tf.tidy(() => l2normalize(this.model.forward(null, false).joint));
  }

  modalityWeights(): Record<string, number> {
    const w = tf.tidy(() => this.model.modalityWeights());
    const d = w.dataSync();
    w.dispose();
    return Object.fromEntries(this.model.present.map((m, i) => [m, d[i]!]));
  }

  /** Metrics on flat pairs (rows) with the pairs' own right rows as candidates (the papers' protocol). */
  evaluatePairs(emb: tf.Tensor2D, pairs: Int32Array): Metrics {
    const l = tf.gather(emb, side(pairs, 0));
    const r = tf.gather(emb, side(pairs, 1));
    try {
      const gold = Int32Array.from({ length: pairs.length }, (_, k) => k >> 1);
      return evaluate(l, r, gold, { csls: this.options.csls });
    } finally {
      l.dispose();
      r.dispose();
    }
  }

  evaluation(): Evaluation {
    const emb = this.embed();
    try {
      const { valid, test } = this.features.split;
      return {
        epoch: this.epoch,
        valid: valid.length > 0 ? this.evaluatePairs(emb, valid) : null,
        test: this.evaluatePairs(emb, test),
        weights: this.modalityWeights(),
      };
    } finally {
      emb.dispose();
    }
  }

  /** Mutual nearest neighbours (plain cosine) between the entities of neither the training nor the
   *  validation pairs: the pool pseudo-labels come from (test entities included: transductive). */
  pseudoCandidates(): Map<number, number> {
    const used = new Set<number>([...this.train, ...this.features.split.valid]);
    const left: number[] = [];
    const right: number[] = [];
    for (let i = 0; i < this.features.rows; i++) if (!used.has(i)) (i < this.features.rows1 ? left : right).push(i);
    const out = new Map<number, number>();
    if (left.length === 0 || right.length === 0) return out;
    const emb = this.embed();
    const L = tf.gather(emb, Int32Array.from(left));
    const R = tf.gather(emb, Int32Array.from(right));
    emb.dispose();
    try {
      const pairs = mutualNearest(L, R);
      for (let k = 0; k < pairs.length; k += 2) out.set(left[pairs[k]!]!, right[pairs[k + 1]!]!);
    } finally {
      tf.dispose([L, R]);
    }
    return out;
  }

  /** §0.7's schedule after epoch `e` (0-based, already trained): collect, intersect, merge. */
  private iterate(e: number): void {
    const o = this.options;
    if (o.iterative === 'off' || e < o.ilStart || (e + 1) % o.semiLearnStep !== 0) return;
    const mnn = this.pseudoCandidates();
    if ((e + 1) % 50 === 5 || !this.candidates) this.candidates = mnn;
    else for (const [l, r] of this.candidates) if (mnn.get(l) !== r) this.candidates.delete(l);
    if ((e + 1) % 50 !== 0) return;
    let merged = [...this.candidates];
    // §8's calibration: keep a pair only if the previous merge round proposed it too
    if (o.iterative === 'calibrated') merged = merged.filter(([l, r]) => this.previousMerge.get(l) === r);
    this.previousMerge = new Map(this.candidates);
    const flat = Int32Array.from(merged.flat());
    const t = new Int32Array(this.train.length + flat.length);
    t.set(this.train);
    t.set(flat, this.train.length);
    this.train = t;
    this.candidates = null;
  }

  /** Trains up to `options.epochs`. `previous`: the evaluations of the run before a resume, so the
   *  selected, best and last epochs are chosen over the whole run. */
  async run(hooks: TrainHooks = {}, previous: Evaluation[] = []): Promise<TrainResult> {
    const o = this.options;
    const evaluations: Evaluation[] = [];
    let selected: Evaluation | null = null;
    let best: Evaluation | null = null;
    let last: Evaluation | null = null;
    const consider = (ev: Evaluation): boolean => {
      evaluations.push(ev);
      last = ev;
      const isSelected = ev.valid !== null && (!selected || ev.valid.mean.mrr > selected.valid!.mean.mrr);
      if (isSelected) selected = ev;
      if (!best || ev.test.mean.mrr > best.test.mean.mrr) best = ev;
      return isSelected;
    };
    for (const ev of previous) consider(ev);
    let seconds = 0;
    const first = this.epoch;
    while (this.epoch < o.epochs) {
      const t0 = performance.now();
      const loss = process.env.MMEA_PROFILE === 'kernels' && this.epoch === first + 2 ? await profileKernels(() => this.step()) : this.step();
      const e = this.epoch - 1;
      this.iterate(e);
      const dt = (performance.now() - t0) / 1000;
      seconds += dt;
      hooks.onEpoch?.({ epoch: this.epoch, loss, seconds: dt, trainPairs: this.train.length / 2 });
      const stop = hooks.shouldStop?.() ?? false;
      if (this.epoch % o.checkPoint === 0 || this.epoch === o.epochs || stop) {
        const t1 = performance.now();
        const ev = this.evaluation();
        if (process.env.MMEA_PROFILE) console.error('evaluation', (performance.now() - t1).toFixed(0), 'ms');
        const isSelected = consider(ev); // not inside the optional call: `?.` would skip it
        await hooks.onEvaluation?.(ev, isSelected);
      }
      if (stop) break;
    }
    return {
      validationSelected: selected,
      bestOnTest: best,
      last,
      epochs: this.epoch,
      secondsPerEpoch: this.epoch > first ? seconds / (this.epoch - first) : 0,
      evaluations,
      pseudoLabels: (this.train.length - this.features.split.train.length) / 2,
    };
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
    this.params.get('awl.cl')?.dispose();
    this.params.get('awl.al')?.dispose();
    this.club?.dispose();
  }
}

/** MMEA_PROFILE=kernels: the third epoch of a run under tf.profile, its kernels by total time on
 *  standard error (a tool for finding where an epoch's time goes). */
async function profileKernels(fn: () => number): Promise<number> {
  let out = 0;
  const info = await tf.profile(() => {
    out = fn();
  });
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const r = by.get(key) ?? { ms: 0, n: 0 };
    r.ms += ms;
    r.n++;
    by.set(key, r);
  }
  const rows = [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40);
  const total = [...by.values()].reduce((s, r) => s + r.ms, 0);
  console.error(`kernels: ${info.kernels.length}, total ${total.toFixed(0)} ms`);
  for (const [k, r] of rows) console.error(`${r.ms.toFixed(1).padStart(8)} ms ${String(r.n).padStart(5)}× ${k}`);
  return out;
}
