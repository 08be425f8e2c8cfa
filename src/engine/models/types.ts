// The one interface every model implements (a folder under models/, registered in registry.ts).
// The trainer (training/trainer.ts), evaluation, proposals, the review queue, pseudo-labels, the
// curriculum and checkpoints depend only on this.
import type { ModelId, ModelOptions } from '../../shared/models';
import type { Modality } from '../../shared/models/modalities';
import type { Features } from '../features/build';
import type { AdamW } from '../nn/adamw';
import type { tf } from '../runtime/tf';

/** One epoch's batches of training pairs: `rows` holds, batch after batch, a batch's left rows then
 *  its right rows; `batches` gives each batch's offset in `rows` and its pair count. */
export interface BatchPlan {
  /** the epoch being trained (0-based): seeds the gate noise and the model's schedules */
  epoch: number;
  rows: Int32Array;
  batches: [number, number][];
}

/** Every entity's embeddings: the joint one (not normalised) and each present modality's. The
 *  caller disposes them. */
export interface Embeddings {
  joint: tf.Tensor2D;
  mods: Map<Modality, tf.Tensor2D>;
  /** whether the joint is the concatenation of w_m · n(e_m) over `mods` — with the global weights
   *  (HUMEA, MCLEA), or each entity's own (`entityWeights` over every modality: MEAformer): then each
   *  modality's share of a pair's joint cosine is evidence to show */
  concatenated: boolean;
  /** the model's own per-entity modality weights (rows × modalities, each row's weights for those
   *  modalities), for models that weigh each entity's modalities themselves (LoginMEA's fusion
   *  attention, MEAformer's token attention); the review screen shows them for the pair */
  entityWeights?: { modalities: Modality[]; weights: tf.Tensor2D };
}

/** State a checkpoint keeps beside the parameters and their optimizer (e.g. HUMEA's CLUB nets). */
export type ExtraState = Record<string, unknown>;

export interface AlignmentModel {
  readonly id: ModelId;
  readonly options: ModelOptions;
  /** the modalities it fuses on this dataset, in fusion order */
  readonly present: Modality[];
  /** every trainable tensor by a stable name (checkpoint keys) */
  readonly params: Map<string, tf.Variable>;
  /** the optimizer over `params` (its moments and step are checkpointed) */
  readonly optimizer: AdamW;
  /** trains one epoch over `plan`; returns the epoch's loss (the sum over its batches) as a scalar
   *  on the backend, which the trainer reads when it reports: on the device path a step reads
   *  nothing back to the host (runtime/kernelPath.ts) */
  step(plan: BatchPlan): tf.Scalar;
  /** every entity's embeddings; `training`: as in a training step of epoch `epoch` (the curriculum
   *  groups by them), else evaluation mode */
  embeddings(training?: boolean, epoch?: number): Embeddings;
  /** the global fusion weight of each present modality; `emb`: this model's evaluation-mode
   *  embeddings where the caller has them (a model whose weights are per entity averages theirs
   *  instead of running a forward of its own). Read asynchronously, as every host read outside a
   *  training step: a device backend may have no synchronous read (tfjs-backend-webgpu in Node). */
  modalityWeights(emb?: Embeddings): Promise<Record<string, number>>;
  /** checkpoint state beyond params and optimizer, and its restore (`dir` names the checkpoint in errors) */
  saveExtra?(): Promise<ExtraState>;
  loadExtra?(state: ExtraState, dir: string): void;
  dispose(): void;
}

export type ModelFactory = (features: Features, options: ModelOptions) => AlignmentModel;
