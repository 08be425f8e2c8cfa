// The one training loop of every model (models/types.ts): epochs of a model's step over the batch plan
// (the seeded shuffle of the training pairs, or the curriculum's grouping), evaluation every
// `checkPoint` epochs on the validation pairs (model selection) and on the test pairs (reported: the
// validation-selected epoch, the best-on-test epoch as the papers pick it, labelled as such, and the
// last epoch), and optional iterative training with mutual-nearest-neighbour pseudo-labels (§0.7, and
// §8's calibration). `mmea train`, the app's train and round jobs, and `simulate` all train through it.
import type { ModelOptions } from '../../shared/models';
import type { Features } from '../features/build';
import { l2normalize } from '../nn/ops';
import { mulberry32, permutation } from '../random';
import { disposeEmbeddings } from '../models/embeddings';
import { createModel } from '../models/registry';
import type { AlignmentModel, Embeddings } from '../models/types';
import { checkGpuErrors, hostReadCount, tf } from '../runtime/tf';
import { curriculumK, curriculumList } from './curriculum';
import { evaluate, mutualNearest, type Metrics } from './evaluate';

/** A run's options: a model id and that model's options (shared/models). */
export type TrainOptions = ModelOptions;

export interface Evaluation {
  epoch: number;
  valid: Metrics | null;
  /** null when there are no test pairs (a project whose known pairs are all seeds) */
  test: Metrics | null;
  weights: Record<string, number>;
}

/** Pseudo-labels are merged into the training pairs every this many epochs (the references'
 *  schedule, methods.md §0.7); candidates are gathered every `semiLearnStep` epochs between. */
export const MERGE_EVERY = 50;

/** The epoch (counted from 1) after which a run with these options first merges pseudo-labels; null
 *  when it takes none. A run shorter than that trains as if `iterative` were off. */
export function firstMerge(o: Pick<ModelOptions, 'iterative' | 'ilStart' | 'semiLearnStep'>): number | null {
  if (o.iterative === 'off') return null;
  // iterate() looks only at epochs that are multiples of semiLearnStep, and merges at multiples of 50
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const every = (MERGE_EVERY * o.semiLearnStep) / gcd(MERGE_EVERY, o.semiLearnStep);
  return Math.ceil((o.ilStart + 1) / every) * every;
}

/** The MRR a protocol reads from `m`: both directions' mean (ours), or left to right alone
 *  (MSNEA's and CLAMEA's); it selects the epoch on validation and the best on test. */
export function protocolMrr(m: Metrics, selectOn: 'both' | 'l2r'): number {
  return selectOn === 'l2r' ? m.l2r.mrr : m.mean.mrr;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  seconds: number;
  trainPairs: number;
  /** tensor reads to the host inside the model's training step: 0 on the device path */
  hostReads: number;
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

/** Rows of a flat pair list's left or right side. */
function side(pairs: Int32Array, k: 0 | 1): Int32Array {
  return Int32Array.from({ length: pairs.length / 2 }, (_, i) => pairs[2 * i + k]!);
}

export class Trainer {
  readonly model: AlignmentModel;
  epoch = 0; // epochs done
  /** the host reads of the last step (EpochLog.hostReads) */
  stepReads = 0;
  /** training pairs: the seeds, then merged pseudo-labels */
  train: Int32Array;
  /** iterative training: candidates collected in the current window, and the last merge round's */
  candidates: Map<number, number> | null = null;
  previousMerge = new Map<number, number>();
  /** what pseudo-labels never take: rows (a curation round's held-out and audited pairs, sources
   *  without counterpart) and pairs (the curator's rejections) */
  keepOut: { rows: Set<number>; pairs: Map<number, Set<number>> } = { rows: new Set(), pairs: new Map() };
  /** the curriculum's current grouped pair list (flat rows), kept between its rebuilds */
  curriculum: Int32Array | null = null;

  constructor(
    readonly features: Features,
    readonly options: TrainOptions,
  ) {
    this.model = createModel(features, options);
    this.train = features.split.train;
  }

  /** Epoch `e`'s order of the training pairs (seeded by seed and epoch, so a resumed run matches). */
  private epochOrder(e: number): Int32Array {
    return permutation(this.train.length / 2, mulberry32(this.options.seed * 100003 + e));
  }

  /** Epoch `e`'s training pairs in batch order (flat left, right rows): the seeded shuffle, or with
   *  the curriculum (before `ilStart`, rebuilt every 50 epochs) its grouped list. */
  private async epochPairs(e: number): Promise<Int32Array> {
    const order = this.epochOrder(e);
    const pairs = new Int32Array(2 * order.length);
    order.forEach((p, i) => pairs.set(this.train.subarray(2 * p, 2 * p + 2), 2 * i));
    if (!('curriculum' in this.options && this.options.curriculum)) return pairs;
    const k = curriculumK(e, this.options.ilStart);
    if (k === 0) this.curriculum = null;
    else if (k !== null) {
      // the reference groups by this epoch's (training-mode) joint embeddings of every entity
      const emb = this.model.embeddings(true, e);
      try {
        this.curriculum = await curriculumList(pairs, emb.joint, k);
      } finally {
        disposeEmbeddings(emb);
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

  /** One epoch of the model's training step over this epoch's batch plan; returns its loss, read
   *  once, asynchronously (the epoch's one host read on the device path). Every host read of the
   *  trainer is asynchronous: tfjs-backend-webgpu has no synchronous read outside a browser. */
  async step(): Promise<number> {
    const e = this.epoch;
    const plan = { epoch: e, ...this.batchRows(await this.epochPairs(e)) };
    const reads = hostReadCount();
    const value = this.model.step(plan);
    this.stepReads = hostReadCount() - reads;
    this.epoch++;
    const loss = (await value.data())[0]!;
    value.dispose();
    checkGpuErrors(`epoch ${this.epoch}`); // the read waited for the epoch's GPU work
    return loss;
  }

  /** Normalised joint embeddings of every entity (evaluation mode). */
  embed(): tf.Tensor2D {
    const e = this.model.embeddings();
    try {
      return tf.tidy(() => l2normalize(e.joint));
    } finally {
      disposeEmbeddings(e);
    }
  }

  /** The model's global modality weights; `emb`: its evaluation embeddings where the caller has them. */
  modalityWeights(emb?: Embeddings): Promise<Record<string, number>> {
    return this.model.modalityWeights(emb);
  }

  /** Metrics on flat pairs (rows) with the pairs' own right rows as candidates (the papers' protocol). */
  async evaluatePairs(emb: tf.Tensor2D, pairs: Int32Array): Promise<Metrics> {
    const l = tf.gather(emb, side(pairs, 0));
    const r = tf.gather(emb, side(pairs, 1));
    try {
      const gold = Int32Array.from({ length: pairs.length }, (_, k) => k >> 1);
      return await evaluate(l, r, gold, { csls: this.options.csls });
    } finally {
      l.dispose();
      r.dispose();
    }
  }

  async evaluation(): Promise<Evaluation> {
    const e = this.model.embeddings();
    const emb = tf.tidy(() => l2normalize(e.joint));
    try {
      const { valid, test } = this.features.split;
      const out: Evaluation = {
        epoch: this.epoch,
        valid: valid.length > 0 ? await this.evaluatePairs(emb, valid) : null,
        test: test.length > 0 ? await this.evaluatePairs(emb, test) : null,
        weights: await this.modalityWeights(e), // from these embeddings: no second forward
      };
      checkGpuErrors(`the evaluation after epoch ${this.epoch}`);
      return out;
    } finally {
      disposeEmbeddings(e);
      emb.dispose();
    }
  }

  /** Mutual nearest neighbours (plain cosine) between the entities of neither the training nor the
   *  validation pairs: the pool pseudo-labels come from (test entities included: transductive). */
  async pseudoCandidates(): Promise<Map<number, number>> {
    const used = new Set<number>([...this.train, ...this.features.split.valid, ...this.keepOut.rows]);
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
      const pairs = await mutualNearest(L, R);
      for (let k = 0; k < pairs.length; k += 2) {
        const [l, r] = [left[pairs[k]!]!, right[pairs[k + 1]!]!];
        if (!this.keepOut.pairs.get(l)?.has(r)) out.set(l, r);
      }
    } finally {
      tf.dispose([L, R]);
    }
    return out;
  }

  /** §0.7's schedule after epoch `e` (0-based, already trained): collect, intersect, merge. */
  private async iterate(e: number): Promise<void> {
    const o = this.options;
    if (o.iterative === 'off' || e < o.ilStart || (e + 1) % o.semiLearnStep !== 0) return;
    const mnn = await this.pseudoCandidates();
    if ((e + 1) % MERGE_EVERY === 5 || !this.candidates) this.candidates = mnn;
    else for (const [l, r] of this.candidates) if (mnn.get(l) !== r) this.candidates.delete(l);
    if ((e + 1) % MERGE_EVERY !== 0) return;
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
  run(hooks: TrainHooks = {}, previous: Evaluation[] = []): Promise<TrainResult> {
    return this.runEpochs(this.options.epochs - this.epoch, hooks, previous);
  }

  /** Trains `n` more epochs (a curation round's), with the run's schedule: pseudo-labels, an
   *  evaluation every `checkPoint` epochs and after the last, the selected, best and last epochs. */
  async runEpochs(n: number, hooks: TrainHooks = {}, previous: Evaluation[] = []): Promise<TrainResult> {
    const o = this.options;
    const target = this.epoch + Math.max(0, n);
    const evaluations: Evaluation[] = [];
    let selected: Evaluation | null = null;
    let best: Evaluation | null = null;
    let last: Evaluation | null = null;
    const consider = (ev: Evaluation): boolean => {
      evaluations.push(ev);
      last = ev;
      const isSelected = ev.valid !== null && (!selected || protocolMrr(ev.valid, o.selectOn) > protocolMrr(selected.valid!, o.selectOn));
      if (isSelected) selected = ev;
      if (ev.test && (!best || protocolMrr(ev.test, o.selectOn) > protocolMrr(best.test!, o.selectOn))) best = ev;
      return isSelected;
    };
    for (const ev of previous) consider(ev);
    let seconds = 0;
    const first = this.epoch;
    while (this.epoch < target) {
      const t0 = performance.now();
      const loss = process.env.MMEA_PROFILE === 'kernels' && this.epoch === first + 2 ? await profileKernels(() => this.step()) : await this.step();
      const e = this.epoch - 1;
      await this.iterate(e);
      const dt = (performance.now() - t0) / 1000;
      seconds += dt;
      hooks.onEpoch?.({ epoch: this.epoch, loss, seconds: dt, trainPairs: this.train.length / 2, hostReads: this.stepReads });
      const stop = hooks.shouldStop?.() ?? false;
      if (this.epoch % o.checkPoint === 0 || this.epoch === target || stop) {
        const t1 = performance.now();
        const ev = await this.evaluation();
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
  }
}

/** MMEA_PROFILE=kernels: the third epoch of a run under tf.profile, its kernels by total time on
 *  standard error (a tool for finding where an epoch's time goes). */
async function profileKernels(fn: () => Promise<number>): Promise<number> {
  let out = 0;
  const info = await tf.profile(async () => {
    out = await fn();
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
