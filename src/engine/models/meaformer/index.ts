// MEAformer as a model of the zoo (methods.md §2): its encoder (model.ts) under ICL(joint) + AWL[ICL of
// each modality] + AWL[ICL of each output token], one six-slot automatic loss weighting shared by both
// groups. Unlike MCLEA and HUMEA, every batch runs its own forward and takes its own AdamW step, with
// the reference's cosine schedule (15 % warm-up) and gradient-norm clipping; its iterative variant
// starts a second stage at il-start (lr/5, a new optimizer and schedule over 3 × the remaining epochs).
import type { MeaformerOptions } from '../../../shared/models/meaformer';
import type { Features } from '../../features/build';
import { AdamW, ADAMW_DEFAULTS } from '../../nn/adamw';
import { clipByGlobalNorm, cosineWithWarmup } from '../../nn/schedule';
import { tf } from '../../runtime/tf';
import { disposeEmbeddings } from '../embeddings';
import type { Modality } from '../modalities';
import type { AlignmentModel, BatchPlan, Embeddings } from '../types';
import { meaformerLoss } from './loss';
import { Meaformer, type MeaformerForward } from './model';

/** The reference's six loss slots [gph, rel, att, img, name, char] (our word and name: its name and
 *  char). Absent modalities contribute a zero loss, their log-variance still enters the sum. */
const SLOTS: Modality[] = ['gph', 'rel', 'att', 'img', 'word', 'name'];

export class MeaformerModel implements AlignmentModel {
  readonly id = 'meaformer' as const;
  readonly encoder: Meaformer;
  readonly params: Map<string, tf.Variable>;
  readonly optimizer: AdamW;
  /** steps per epoch of the seed pairs, as the reference's data loader counts them */
  private readonly stepsPerEpoch: number;
  /** the mean weights of the last embeddings(), until a step or their first use */
  private meanWeights: Record<string, number> | null = null;

  constructor(
    features: Features,
    readonly options: MeaformerOptions & { model: 'meaformer' },
  ) {
    this.encoder = new Meaformer(features, options);
    this.params = new Map(this.encoder.params);
    this.params.set('awl', tf.variable(tf.zeros([SLOTS.length]), true, `${this.encoder.prefix}.awl`));
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
    this.stepsPerEpoch = Math.max(1, Math.ceil(features.split.train.length / 2 / options.batchSize));
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  /** The stage of epoch `e`: the second (iterative) one from il-start when pseudo-labels are on. */
  private stage(e: number): { lr: number; steps: number } {
    const o = this.options;
    const iterative = o.iterative !== 'off' && o.ilStart < o.epochs;
    if (iterative && e >= o.ilStart) return { lr: o.lr / 5, steps: 3 * (o.epochs - o.ilStart) * this.stepsPerEpoch };
    return { lr: o.lr, steps: (iterative ? o.ilStart : o.epochs) * this.stepsPerEpoch };
  }

  /** One batch's loss from its forward (loss.ts). The reference labels output token t with loss slot t
   *  whatever its modality (generate_hidden_emb); as the slots are shared with the modalities' group,
   *  e.g. the img token's ICL takes gph's weight. */
  private batchLoss(f: MeaformerForward, size: number): tf.Scalar {
    const groups = [SLOTS.map((m) => f.mods.get(m) ?? null), this.options.hiddenIcl ? SLOTS.map((_, t) => f.hidden[t] ?? null) : []];
    return meaformerLoss(f.joint, groups, this.params.get('awl')! as unknown as tf.Tensor1D, size, this.options.tau);
  }

  step(plan: BatchPlan): number {
    const o = this.options;
    const e = plan.epoch;
    if (o.iterative !== 'off' && e === o.ilStart && e > 0) this.optimizer.restart({ ...ADAMW_DEFAULTS, lr: o.lr / 5, weightDecay: o.weightDecay });
    const stage = this.stage(e);
    this.meanWeights = null;
    const vars = [...this.params.values()];
    let total = 0;
    plan.batches.forEach(([at, size], b) => {
      const rows = plan.rows.subarray(at, at + 2 * size);
      const seed = (o.seed * 1000003 + e * 1009 + b) >>> 0;
      const { value, grads: byVar } = tf.variableGrads(() => this.batchLoss(this.encoder.forward(rows, seed), size), vars);
      const grads: Record<string, tf.Tensor> = {};
      for (const [name, v] of this.params) if (byVar[v.name]) grads[name] = byVar[v.name]!;
      const loss = value.dataSync()[0]!;
      value.dispose();
      const clipped = o.clip > 0 ? clipByGlobalNorm(grads, o.clip) : grads;
      // the scheduler's value for this step: the optimizer's steps taken in this stage
      this.optimizer.options = { ...this.optimizer.options, lr: stage.lr * cosineWithWarmup(this.optimizer.step, stage.steps, o.warmup) };
      this.optimizer.apply(clipped);
      total += loss;
      tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
    });
    return total;
  }

  embeddings(): Embeddings {
    const [joint, weights, ...mods] = tf.tidy(() => {
      const f = this.encoder.forwardAll();
      return [f.joint, f.weights, ...this.present.map((m) => f.mods.get(m)!)];
    });
    // the global summary of these weights, for modalityWeights() until the next step
    const mean = tf.tidy(() => tf.mean(weights!, 0).dataSync());
    this.meanWeights = Object.fromEntries(this.present.map((m, k) => [m, mean[k]!]));
    return { joint: joint!, mods: new Map(this.present.map((m, k) => [m, mods[k]!])), concatenated: true, entityWeights: { modalities: this.present, weights: weights! } };
  }

  /** Each modality's mean per-entity weight: from the embeddings just made, when an evaluation asks
   *  for both (else a forward of its own). */
  modalityWeights(): Record<string, number> {
    if (!this.meanWeights) disposeEmbeddings(this.embeddings());
    const w = this.meanWeights!;
    this.meanWeights = null;
    return w;
  }

  dispose(): void {
    this.encoder.dispose();
    this.params.get('awl')!.dispose();
    this.optimizer.dispose();
  }
}
