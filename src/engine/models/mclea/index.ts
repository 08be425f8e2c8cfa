// MCLEA as a model of the zoo (methods.md §3): its encoder (model.ts) under the ICL/IAL heads with
// automatic loss weighting — exactly HUMEA's loss heads, so the native heads serve it — one AdamW
// step per epoch, and the reference's iterative quirk as an option (recreateOptimizer).
import type { McleaOptions } from '../../../shared/models/mclea';
import type { Features } from '../../features/build';
import { ADAMW_DEFAULTS } from '../../nn/adamw';
import type { tf } from '../../runtime/tf';
import { HeadsModel } from '../heads/model';
import { headsStep } from '../heads/step';
import type { BatchPlan } from '../types';
import { Mclea, type McleaForward } from './model';

export class McleaModel extends HeadsModel<McleaForward, Mclea, McleaOptions & { model: 'mclea' }> {
  readonly id = 'mclea' as const;

  constructor(features: Features, options: McleaOptions & { model: 'mclea' }) {
    super(new Mclea(features, options), options);
  }

  step(plan: BatchPlan): tf.Scalar {
    const o = this.options;
    // the reference's `if epoch == epoch >= il_start` is true at every epoch from il_start on, with or
    // without --il: a new AdamW at lr/5 each epoch, moments and bias correction reset (methods.md §0.7)
    if (o.recreateOptimizer && plan.epoch >= o.ilStart) {
      this.optimizer.restart({ ...ADAMW_DEFAULTS, lr: o.lr / 5, weightDecay: o.weightDecay });
    }
    return headsStep(this.encoder, this.params, this.optimizer, { ...o, without: [] }, plan);
  }
}
