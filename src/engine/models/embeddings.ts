// Freeing what a model's embeddings() returned (every tensor of it, the per-entity weights included),
// and the global weights of the models whose weights are per entity.
import { tf } from '../runtime/tf';
import type { Modality } from './modalities';
import type { Embeddings } from './types';

export function disposeEmbeddings(e: Embeddings): void {
  tf.dispose([e.joint, ...e.mods.values(), ...(e.entityWeights ? [e.entityWeights.weights] : [])]);
}

/** The per-entity weights' embeddings of a model that weighs every modality of each entity itself
 *  (MEAformer, MPSEA): its joint the concatenation of w_{i,m} n(e_m). Their mean is kept for the
 *  modalityWeights() an evaluation asks for right after the embeddings (`meanWeights`). */
export class EntityWeighted {
  private mean: Record<string, number> | null = null;

  /** The embeddings of `joint`, `mods` (in `present` order) and `weights` (rows × present). */
  embeddings(present: Modality[], joint: tf.Tensor2D, mods: tf.Tensor2D[], weights: tf.Tensor2D): Embeddings {
    const mean = tf.tidy(() => tf.mean(weights, 0).dataSync());
    this.mean = Object.fromEntries(present.map((m, k) => [m, mean[k]!]));
    return { joint, mods: new Map(present.map((m, k) => [m, mods[k]!])), concatenated: true, entityWeights: { modalities: present, weights } };
  }

  /** A step changes the weights: the kept mean is stale. */
  clear(): void {
    this.mean = null;
  }

  /** Each modality's mean per-entity weight: the kept one (used once), else from `embed()`'s. */
  meanWeights(embed: () => Embeddings): Record<string, number> {
    if (!this.mean) disposeEmbeddings(embed());
    const w = this.mean!;
    this.mean = null;
    return w;
  }
}
