// The training schedule of the models that step once per batch (MEAformer and its derivative MPSEA;
// methods.md §2.4): each batch its own forward and AdamW step, the learning rate on transformers'
// cosine schedule with warm-up, gradients clipped by their joint norm, and the iterative variant's
// second stage from il-start (lr/5, a new optimizer and schedule over 3 × the remaining epochs).
import type { AdamW } from '../nn/adamw';
import { ADAMW_DEFAULTS, gradientsByName } from '../nn/adamw';
import { clipByGlobalNorm, cosineWithWarmup } from '../nn/schedule';
import { tf } from '../runtime/tf';
import type { BatchPlan } from './types';

export interface BatchScheduleOptions {
  seed: number;
  lr: number;
  weightDecay: number;
  epochs: number;
  batchSize: number;
  iterative: 'off' | 'mnn' | 'calibrated';
  ilStart: number;
  warmup: number;
  clip: number;
}

export class BatchSteps {
  /** steps per epoch of the seed pairs, as the reference's data loader counts them */
  private readonly stepsPerEpoch: number;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly optimizer: AdamW,
    private readonly o: BatchScheduleOptions,
    seedPairs: number,
  ) {
    this.stepsPerEpoch = Math.max(1, Math.ceil(seedPairs / o.batchSize));
  }

  /** The stage of epoch `e`: the second (iterative) one from il-start when pseudo-labels are on. */
  private stage(e: number): { lr: number; steps: number } {
    const o = this.o;
    const iterative = o.iterative !== 'off' && o.ilStart < o.epochs;
    if (iterative && e >= o.ilStart) return { lr: o.lr / 5, steps: 3 * (o.epochs - o.ilStart) * this.stepsPerEpoch };
    return { lr: o.lr, steps: (iterative ? o.ilStart : o.epochs) * this.stepsPerEpoch };
  }

  /** One epoch over `plan`: per batch, `loss(rows, size, dropoutSeed)` (rows: its left then its right
   *  rows) differentiated, clipped and stepped; returns the sum of the batches' losses. */
  epoch(plan: BatchPlan, loss: (rows: Int32Array, size: number, dropoutSeed: number) => tf.Scalar): tf.Scalar {
    const o = this.o;
    const e = plan.epoch;
    if (o.iterative !== 'off' && e === o.ilStart && e > 0) this.optimizer.restart({ ...ADAMW_DEFAULTS, lr: o.lr / 5, weightDecay: o.weightDecay });
    const stage = this.stage(e);
    let total = tf.scalar(0);
    plan.batches.forEach(([at, size], b) => {
      const rows = plan.rows.subarray(at, at + 2 * size);
      const { value, grads } = gradientsByName(this.params, () => loss(rows, size, (o.seed * 1000003 + e * 1009 + b) >>> 0));
      const sum = tf.add(total, value) as tf.Scalar;
      tf.dispose([total, value]);
      total = sum;
      const clipped = o.clip > 0 ? clipByGlobalNorm(grads, o.clip) : grads;
      // the scheduler's value for this step: the optimizer's steps taken in this stage
      this.optimizer.options = { ...this.optimizer.options, lr: stage.lr * cosineWithWarmup(this.optimizer.step, stage.steps, o.warmup) };
      this.optimizer.apply(clipped);
      tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
    });
    return total;
  }
}
