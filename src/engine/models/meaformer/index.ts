// MEAformer as a model of the zoo (methods.md §2): its encoder (model.ts) under ICL(joint) + AWL[ICL of
// each modality] + AWL[ICL of each output token], one six-slot automatic loss weighting shared by both
// groups (loss.ts). Unlike MCLEA and HUMEA, every batch runs its own forward and takes its own AdamW
// step (../batchSteps.ts: the reference's cosine schedule, clipping and iterative stage).
import type { MeaformerOptions } from '../../../shared/models/meaformer';
import type { Features } from '../../features/build';
import { AdamW, ADAMW_DEFAULTS } from '../../nn/adamw';
import { tf } from '../../runtime/tf';
import { BatchSteps } from '../batchSteps';
import { entityWeighted, meanEntityWeights } from '../embeddings';
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
  private readonly steps: BatchSteps;

  constructor(
    features: Features,
    readonly options: MeaformerOptions & { model: 'meaformer' },
  ) {
    this.encoder = new Meaformer(features, options);
    this.params = new Map(this.encoder.params);
    this.params.set('awl', tf.variable(tf.zeros([SLOTS.length]), true, `${this.encoder.prefix}.awl`));
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
    this.steps = new BatchSteps(this.params, this.optimizer, options, features.split.train.length / 2);
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  /** One batch's loss from its forward (loss.ts). The reference labels output token t with loss slot t
   *  whatever its modality (generate_hidden_emb); as the slots are shared with the modalities' group,
   *  e.g. the img token's ICL takes gph's weight. */
  private batchLoss(f: MeaformerForward, size: number): tf.Scalar {
    const groups = [SLOTS.map((m) => f.mods.get(m) ?? null), this.options.hiddenIcl ? SLOTS.map((_, t) => f.hidden[t] ?? null) : []];
    return meaformerLoss(f.joint, groups, this.params.get('awl')! as unknown as tf.Tensor1D, size, this.options.tau);
  }

  step(plan: BatchPlan): tf.Scalar {
    return this.steps.epoch(plan, (rows, size, seed) => this.batchLoss(this.encoder.forward(rows, seed), size));
  }

  embeddings(): Embeddings {
    const [joint, weights, ...mods] = tf.tidy(() => {
      const f = this.encoder.forwardAll();
      return [f.joint, f.weights, ...this.present.map((m) => f.mods.get(m)!)];
    });
    return entityWeighted(this.present, joint!, mods, weights!);
  }

  /** Each modality's mean per-entity weight. */
  modalityWeights(emb?: Embeddings): Promise<Record<string, number>> {
    return meanEntityWeights(emb, () => this.embeddings());
  }

  dispose(): void {
    this.encoder.dispose();
    this.params.get('awl')!.dispose();
    this.optimizer.dispose();
  }
}
