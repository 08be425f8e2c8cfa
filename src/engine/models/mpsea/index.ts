// MPSEA as a model of the zoo (README.md here): its encoder (model.ts) under the paper's joint loss
// (§3.6) — ICL of the late joint + Σ_m ICL(x^m) + Σ_m ICL(x̃^m), plain sums, τ 0.1 — plus the CPRL
// term (cprl.ts) on the batch's entities, trained as MEAformer is (../batchSteps.ts: a step per batch
// on the cosine schedule, clipped; the iterative stage). Its per-entity weights (Eq. 9) reach the
// review screen; the late joint is the concatenation of w_{i,m} n(x̃^m), so the cosine shares are
// computed with each entity's own weights.
import type { MpseaOptions } from '../../../shared/models/mpsea';
import type { Features } from '../../features/build';
import { AdamW, ADAMW_DEFAULTS } from '../../nn/adamw';
import { l2normalize } from '../../nn/ops';
import { tf } from '../../runtime/tf';
import { BatchSteps } from '../batchSteps';
import { entityWeighted, meanEntityWeights } from '../embeddings';
import { iclValues } from '../heads/icl';
import type { Modality } from '../modalities';
import type { AlignmentModel, BatchPlan, Embeddings } from '../types';
import { cprlLoss } from './cprl';
import { Mpsea, type MpseaForward } from './model';

export class MpseaModel implements AlignmentModel {
  readonly id = 'mpsea' as const;
  readonly encoder: Mpsea;
  readonly params: Map<string, tf.Variable>;
  readonly optimizer: AdamW;
  private readonly steps: BatchSteps;

  constructor(
    features: Features,
    readonly options: MpseaOptions & { model: 'mpsea' },
  ) {
    this.encoder = new Mpsea(features, options);
    this.params = new Map(this.encoder.params);
    if (options.cprl !== 'off') {
      // the policy: Linear([J ‖ MI] → {mismatch, match}), PyTorch's initialisation
      const inDims = this.present.length * options.hidden + 1;
      const bound = 1 / Math.sqrt(inDims);
      const add = (name: string, t: tf.Tensor) => {
        this.params.set(name, tf.variable(t, true, `${this.encoder.prefix}.${name}`));
        t.dispose();
      };
      add('policy.W', tf.randomUniform([inDims, 2], -bound, bound, 'float32', options.seed + 17));
      add('policy.b', tf.randomUniform([2], -bound, bound, 'float32', options.seed + 18));
    }
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
    this.steps = new BatchSteps(this.params, this.optimizer, options, features.split.train.length / 2);
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  /** One batch's loss from its forward: the ICLs (one native op where built) and CPRL. */
  private batchLoss(f: MpseaForward, size: number, seed: number): tf.Scalar {
    const o = this.options;
    const terms = [f.joint, ...this.present.map((m) => f.mods.get(m)!), ...this.present.map((m) => f.late.get(m)!)];
    let loss: tf.Tensor = tf.sum(iclValues(terms, size, o.tau));
    if (o.cprl !== 'off') {
      // J the late joint, R the concatenation of the normalised late embeddings, every batch entity
      const R = tf.concat(
        this.present.map((m) => l2normalize(f.late.get(m)!)),
        1,
      ) as tf.Tensor2D;
      const policy = { W: this.params.get('policy.W') as unknown as tf.Tensor2D, b: this.params.get('policy.b') as unknown as tf.Tensor1D };
      loss = tf.add(loss, cprlLoss(f.joint, R, policy, { theta: o.theta, alpha: o.alpha, beta: o.beta, mode: o.cprl, seed }));
    }
    return loss as tf.Scalar;
  }

  step(plan: BatchPlan): tf.Scalar {
    return this.steps.epoch(plan, (rows, size, seed) => this.batchLoss(this.encoder.forward(rows, seed), size, seed));
  }

  embeddings(): Embeddings {
    const [joint, weights, ...mods] = tf.tidy(() => {
      const f = this.encoder.forwardAll();
      return [f.joint, f.weights, ...this.present.map((m) => f.late.get(m)!)];
    });
    return entityWeighted(this.present, joint!, mods, weights!);
  }

  /** Each modality's mean per-entity weight. */
  modalityWeights(emb?: Embeddings): Promise<Record<string, number>> {
    return meanEntityWeights(emb, () => this.embeddings());
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.optimizer.dispose();
  }
}
