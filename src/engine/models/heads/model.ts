// What the models trained by the ICL/IAL heads share (HUMEA, MCLEA): the loss-weighting vectors beside
// the encoder's parameters, one AdamW over both, every entity's embeddings, the fusion weights read
// out, disposal. A model adds its encoder and its step (models/<id>/index.ts).
import type { ModelId, ModelOptions } from '../../../shared/models';
import { AdamW, ADAMW_DEFAULTS } from '../../nn/adamw';
import type { Memo } from '../../nn/ops';
import { tf } from '../../runtime/tf';
import type { Modality } from '../modalities';
import type { AlignmentModel, BatchPlan, Embeddings } from '../types';
import type { HeadsForward } from './step';

/** An encoder the heads train: its forward over some rows (null: every entity), its fusion weights. */
export interface HeadsEncoderModule<F extends HeadsForward & { joint: tf.Tensor2D }> {
  readonly present: Modality[];
  readonly params: Map<string, tf.Variable>;
  /** unique per instance: the variables' names (tfjs keeps one namespace) */
  readonly prefix: string;
  forward(rows: Int32Array | null, training: boolean, noiseSeed: number, memo?: Memo): F;
  modalityWeights(): tf.Tensor1D;
  dispose(): void;
}

export abstract class HeadsModel<F extends HeadsForward & { joint: tf.Tensor2D }, E extends HeadsEncoderModule<F>, O extends ModelOptions> implements AlignmentModel {
  abstract readonly id: ModelId;
  /** the encoder's parameters and the heads' loss weights `awl.cl`, `awl.al` (methods.md §0.5) */
  readonly params: Map<string, tf.Variable>;
  readonly optimizer: AdamW;

  constructor(
    readonly encoder: E,
    readonly options: O,
  ) {
    const M = encoder.present.length;
    this.params = new Map(encoder.params);
    this.params.set('awl.cl', tf.variable(tf.zeros([M]), true, `${encoder.prefix}.awl.cl`));
    this.params.set('awl.al', tf.variable(tf.zeros([M]), true, `${encoder.prefix}.awl.al`));
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: options.lr, weightDecay: options.weightDecay });
  }

  get present(): Modality[] {
    return this.encoder.present;
  }

  abstract step(plan: BatchPlan): tf.Scalar;

  embeddings(training = false, epoch = 0): Embeddings {
    const [joint, ...mods] = tf.tidy(() => {
      const f = this.encoder.forward(null, training, this.options.seed * 7 + epoch);
      return [f.joint, ...f.mods.values()];
    });
    return { joint: joint!, mods: new Map(this.present.map((m, k) => [m, mods[k]!])), concatenated: true };
  }

  async modalityWeights(): Promise<Record<string, number>> {
    const w = tf.tidy(() => this.encoder.modalityWeights());
    const d = await w.data(); // no sync read: a device backend may have none
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
