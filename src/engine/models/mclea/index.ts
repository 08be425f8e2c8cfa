// MCLEA as a model of the zoo (methods.md §3): its encoder (model.ts) under the ICL/IAL heads with
// automatic loss weighting — exactly HUMEA's loss heads, so the native heads serve it — one AdamW
// step per epoch, and the reference's iterative quirk as an option (recreateOptimizer).
import type { McleaOptions } from '../../../shared/models/mclea';
import type { Features } from '../../features/build';
import { AdamW, ADAMW_DEFAULTS } from '../../nn/adamw';
import { tf } from '../../runtime/tf';
import { headsStep } from '../heads/step';
import type { Modality } from '../modalities';
import type { AlignmentModel, BatchPlan, Embeddings } from '../types';
import { Mclea } from './model';

export class McleaModel implements AlignmentModel {
  readonly id = 'mclea' as const;
  readonly encoder: Mclea;
  readonly params: Map<string, tf.Variable>;
  readonly optimizer: AdamW;

  constructor(
    features: Features,
    readonly options: McleaOptions & { model: 'mclea' },
  ) {
    this.encoder = new Mclea(features, options);
    const M = this.encoder.present.length;
    this.params = new Map(this.encoder.params);
    this.params.set('awl.cl', tf.variable(tf.zeros([M]), true, `${this.encoder.prefix}.awl.cl`));
    this.params.set('awl.al', tf.variable(tf.zeros([M]), true, `${this.encoder.prefix}.awl.al`));
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  step(plan: BatchPlan): number {
    const o = this.options;
    // the reference's `if epoch == epoch >= il_start` is true at every epoch from il_start on, with or
    // without --il: a new AdamW at lr/5 each epoch, moments and bias correction reset (methods.md §0.7)
    if (o.recreateOptimizer && plan.epoch >= o.ilStart) {
      this.optimizer.restart({ ...ADAMW_DEFAULTS, lr: o.lr / 5, weightDecay: o.weightDecay });
    }
    return headsStep(this.encoder, this.params, this.optimizer, { ...o, without: [] }, plan);
  }

  embeddings(): Embeddings {
    const [joint, ...mods] = tf.tidy(() => {
      const f = this.encoder.forward(null);
      return [f.joint, ...f.mods.values()];
    });
    return { joint: joint!, mods: new Map(this.present.map((m, k) => [m, mods[k]!])) };
  }

  modalityWeights(): Record<string, number> {
    const w = tf.tidy(() => this.encoder.modalityWeights());
    const d = w.dataSync();
    w.dispose();
    return Object.fromEntries(this.present.map((m, i) => [m, d[i]!]));
  }

  dispose(): void {
    this.encoder.dispose();
    this.optimizer.dispose();
    this.params.get('awl.cl')?.dispose();
    this.params.get('awl.al')?.dispose();
  }
}
