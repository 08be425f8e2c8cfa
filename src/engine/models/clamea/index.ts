// CLAMEA as a model of the zoo (models.md "CLAMEA"; choices in README.md): its encoder (model.ts)
// under L = L_TransE + L_vae + α L_m + β L_s + L_mcl (eq. 28), L_mcl the MSNEA contrastive loss on the
// final embedding and on each modality's (eq. 27). An epoch is MSNEA's: one pass over the relation
// triples of both graphs in batches of `transeBatch` (a seeded order per epoch), one Adam step each,
// each step's alignment loss over a batch of seed pairs (with the default batch, all of them).
// Pseudo-labels ("bidirectional iterative", mutual nearest neighbours) come from the trainer's
// `iterative` option.
import type { ClameaOptions } from '../../../shared/models/clamea';
import type { Features } from '../../features/build';
import { AdamW, ADAMW_DEFAULTS, gradientsByName } from '../../nn/adamw';
import { mulberry32, permutation } from '../../random';
import { tf } from '../../runtime/tf';
import { meanEntityWeights } from '../embeddings';
import type { Modality } from '../modalities';
import type { AlignmentModel, BatchPlan, Embeddings } from '../types';
import { msneaLoss } from './loss';
import { Clamea, type ClameaForward } from './model';
import { sampleTriples, transeLoss } from './transe';

/** Rows per evaluation forward: every intermediate is rows × 100, freed chunk by chunk. */
const EVAL_CHUNK = 4096;

export class ClameaModel implements AlignmentModel {
  readonly id = 'clamea' as const;
  readonly encoder: Clamea;
  readonly params: Map<string, tf.Variable>;
  readonly optimizer: AdamW;

  constructor(
    readonly features: Features,
    readonly options: ClameaOptions & { model: 'clamea' },
  ) {
    this.encoder = new Clamea(features, options);
    this.params = this.encoder.params;
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  /** One step's loss: `rows` its pair batch's left then right rows, `triples` its relation triples
   *  (indices), `seed` its draws. */
  batchLoss(rows: Int32Array, triples: Int32Array, seed: number): tf.Scalar {
    const o = this.options;
    const e = this.encoder;
    const f = e.forward(rows, seed);
    const halves = (x: tf.Tensor2D) => tf.split(x, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    let loss = tf.add(tf.add(f.vae, tf.mul(f.latentMatch, o.alpha)), tf.mul(f.orthogonality, o.beta));
    for (const x of [f.joint, ...f.h]) loss = tf.add(loss, msneaLoss(...halves(x), o.clMargin));
    if (triples.length > 0) {
      const sample = sampleTriples(e.triples, triples, this.features.rows, this.features.rows1, seed);
      const E = this.params.get('transe.entities')! as unknown as tf.Tensor2D;
      const R = this.params.get('transe.relations')! as unknown as tf.Tensor2D;
      loss = tf.add(loss, transeLoss(E, R, sample, o.transeMargin));
    }
    return loss as tf.Scalar;
  }

  /** The epoch's triple batches: a seeded order of every triple, cut in `transeBatch` slices (none
   *  without the structure: then one step per batch of seed pairs). */
  private tripleBatches(epoch: number): Int32Array[] {
    const T = this.present.includes('gph') ? this.encoder.triples.head.length : 0;
    const order = permutation(T, mulberry32((this.options.seed * 7919 + epoch) >>> 0));
    const out: Int32Array[] = [];
    for (let at = 0; at < T; at += this.options.transeBatch) out.push(order.subarray(at, Math.min(T, at + this.options.transeBatch)));
    return out;
  }

  step(plan: BatchPlan): tf.Scalar {
    const triples = this.tripleBatches(plan.epoch);
    const steps = Math.max(triples.length, plan.batches.length);
    let total = tf.scalar(0);
    for (let s = 0; s < steps; s++) {
      const [at, size] = plan.batches[s % plan.batches.length]!;
      const rows = plan.rows.subarray(at, at + 2 * size);
      const seed = (this.options.seed * 1000003 + plan.epoch * 1009 + s) >>> 0;
      const { value, grads } = gradientsByName(this.params, () => this.batchLoss(rows, triples[s] ?? new Int32Array(0), seed));
      this.optimizer.apply(grads);
      const sum = tf.add(total, value) as tf.Scalar;
      tf.dispose([total, value, ...Object.values(grads)]);
      total = sum;
    }
    return total;
  }

  /** Every entity's forward in evaluation mode, chunk by chunk; `keep` picks what to return. */
  private forwardAll<K extends tf.Tensor2D[]>(keep: (f: ClameaForward) => K): tf.Tensor2D[] {
    const N = this.features.rows;
    const parts: tf.Tensor2D[][] = [];
    for (let at = 0; at < N; at += EVAL_CHUNK) {
      const rows = Int32Array.from({ length: Math.min(EVAL_CHUNK, N - at) }, (_, i) => at + i);
      parts.push(tf.tidy(() => keep(this.encoder.forward(rows, null))));
    }
    const out = parts[0]!.map((_, k) =>
      parts.length === 1
        ? parts[0]![k]!
        : (tf.concat(
            parts.map((p) => p[k]!),
            0,
          ) as tf.Tensor2D),
    );
    if (parts.length > 1) tf.dispose(parts.flat());
    return out;
  }

  embeddings(): Embeddings {
    const M = this.present.length;
    const [joint, ...rest] = this.forwardAll((f) => [f.joint, ...f.hat, ...(f.weights ? [f.weights] : [])]);
    const out: Embeddings = { joint: joint!, mods: new Map(this.present.map((m, k) => [m, rest[k]!])), concatenated: false };
    // each entity's own DMAFF weights of its attributes and its structure
    if (rest.length > M) out.entityWeights = { modalities: ['att', 'gph'], weights: rest[M]! };
    return out;
  }

  /** The mean DMAFF weights of attributes and structure (from `emb`, the evaluation's embeddings,
   *  where given), 1 for a modality outside that fusion or without it. */
  async modalityWeights(emb?: Embeddings): Promise<Record<string, number>> {
    const w = this.encoder.fuses ? await meanEntityWeights(emb, () => this.embeddings()) : {};
    return Object.fromEntries(this.present.map((m) => [m, w[m] ?? 1]));
  }

  dispose(): void {
    this.encoder.dispose();
    this.optimizer.dispose();
  }
}
