// LoginMEA as a model of the zoo (methods.md §4): its encoder (model.ts) under one left → right
// InfoNCE on the normalised final embedding (τ 0.1, in-batch negatives of the other graph only), the
// batch losses summed into one AdamW step per epoch, and the reference's re-create-AdamW-at-lr/5 quirk
// from il-start (50) on as an option. One forward of every entity per epoch: the graph layers need
// every row anyway.
import type { LoginmeaOptions } from '../../../shared/models/loginmea';
import type { Features } from '../../features/build';
import { AdamW, ADAMW_DEFAULTS, gradientsByName } from '../../nn/adamw';
import { icl } from '../../nn/losses';
import { l2normalize } from '../../nn/ops';
import { infoNce } from './loss';
import { tf } from '../../runtime/tf';
import type { Modality } from '../modalities';
import type { AlignmentModel, BatchPlan, Embeddings } from '../types';
import { Loginmea } from './model';

export class LoginmeaModel implements AlignmentModel {
  readonly id = 'loginmea' as const;
  readonly encoder: Loginmea;
  readonly params: Map<string, tf.Variable>;
  readonly optimizer: AdamW;

  constructor(
    features: Features,
    readonly options: LoginmeaOptions & { model: 'loginmea' },
  ) {
    this.encoder = new Loginmea(features, options);
    this.params = this.encoder.params;
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  step(plan: BatchPlan): tf.Scalar {
    const o = this.options;
    // as MCLEA's: `if epoch == epoch >= il_start` holds at every epoch from il_start on (methods.md §4)
    if (o.recreateOptimizer && plan.epoch >= o.ilStart) this.optimizer.restart({ ...ADAMW_DEFAULTS, lr: o.lr / 5, weightDecay: o.weightDecay });
    const { value, grads } = gradientsByName(this.params, () => {
      // each batch's rows of each column block, then normalised: never all entities × 2,400 columns
      const f = this.encoder.forwardPieces();
      const rowsOf = (rows: Int32Array) => l2normalize(this.encoder.rowsOf(f, rows));
      let loss: tf.Tensor = tf.scalar(0);
      for (const [at, size] of plan.batches) {
        const [l, r] = [rowsOf(plan.rows.subarray(at, at + size)), rowsOf(plan.rows.subarray(at + size, at + 2 * size))];
        // the ablation 'ICL instead of InfoNCE': MCLEA's and HUMEA's in-batch loss, both directions
        loss = tf.add(loss, o.loss === 'icl' ? icl(l, r, o.tau) : infoNce(l, r, o.tau));
      }
      return loss as tf.Scalar;
    });
    this.optimizer.apply(grads);
    tf.dispose(Object.values(grads));
    return value;
  }

  embeddings(): Embeddings {
    const [joint, attention, ...mods] = tf.tidy(() => {
      const f = this.encoder.forward();
      return [f.joint, f.attention ?? tf.zeros([0, 0]), ...this.present.map((m) => f.mods.get(m)!)];
    });
    // the final embedding is no weighted concatenation of the modalities' (no contributions to show);
    // each entity's own weights are the fusion's attention over its feature modalities
    const out: Embeddings = { joint: joint!, mods: new Map(this.present.map((m, k) => [m, mods[k]!])), concatenated: false };
    if (this.encoder.attends) out.entityWeights = { modalities: this.encoder.fusedModalities, weights: attention as tf.Tensor2D };
    else attention!.dispose();
    return out;
  }

  /** Each fused modality's mean per-entity attention (from `emb`, the evaluation's embeddings, where
   *  given); the structure's part is not weighted (1). */
  async modalityWeights(emb?: Embeddings): Promise<Record<string, number>> {
    const mean = tf.tidy(() => {
      const e = this.encoder;
      if (!e.attends) return tf.zeros([0]);
      if (emb?.entityWeights) return tf.mean(emb.entityWeights.weights, 0);
      // LoginMEA's attention reads the encoders alone (no graph layer, no fusion); GAM's and GUM's
      // read graph layers' outputs: a whole forward
      return tf.mean(e.paradigm === 'login' ? e.attention(e.encode()) : e.forwardPieces().attention!, 0);
    });
    const d = await mean.data(); // no sync read: a device backend may have none
    mean.dispose();
    // a modality outside the fusion (the structure but in GAM), or every one without adaptive
    // weights, weighs 1
    const at = (m: Modality) => this.encoder.fusedModalities.indexOf(m);
    return Object.fromEntries(this.present.map((m) => [m, d.length > 0 && at(m) >= 0 ? d[at(m)]! : 1]));
  }

  dispose(): void {
    this.encoder.dispose();
    this.optimizer.dispose();
  }
}
