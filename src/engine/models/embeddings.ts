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
    this.keep(present, weights);
    return { joint, mods: new Map(present.map((m, k) => [m, mods[k]!])), concatenated: true, entityWeights: { modalities: present, weights } };
  }

  /** Keeps the mean of `weights` (rows × `modalities`), for a model whose embeddings() builds its
   *  own Embeddings (its weights over some of its modalities, its joint no weighted concatenation). */
  keep(modalities: Modality[], weights: tf.Tensor2D): void {
    const mean = tf.tidy(() => tf.mean(weights, 0).dataSync());
    this.mean = Object.fromEntries(modalities.map((m, k) => [m, mean[k]!]));
  }

  /** A step changes the weights: the kept mean is stale. */
  clear(): void {
    this.mean = null;
  }

  /** Each weighted modality's mean per-entity weight: the kept one (used once), else from
   *  `embed()`'s. */
  meanWeights(embed: () => Embeddings): Record<string, number> {
    if (!this.mean) disposeEmbeddings(embed());
    const w = this.mean!;
    this.mean = null;
    return w;
  }
}

/** The row-wise part of an evaluation forward in chunks: `fn(mods sliced to rows at … at + size)` in
 *  its own tidy per chunk (its intermediates freed before the next: over every entity at once, a
 *  transformer's held gigabytes of the wasm heap), its outputs joined by rows, in order. */
export function byRowChunks(mods: Map<Modality, tf.Tensor2D>, chunk: number, fn: (slice: Map<Modality, tf.Tensor2D>) => tf.Tensor2D[]): tf.Tensor2D[] {
  const N = mods.values().next().value!.shape[0];
  const parts: tf.Tensor2D[][] = [];
  for (let at = 0; at < N; at += chunk) {
    const size = Math.min(chunk, N - at);
    parts.push(tf.tidy(() => fn(new Map([...mods].map(([m, e]) => [m, tf.slice(e, [at, 0], [size, -1]) as tf.Tensor2D])))));
  }
  if (parts.length === 1) return parts[0]!;
  const out = parts[0]!.map(
    (_, k) =>
      tf.concat(
        parts.map((p) => p[k]!),
        0,
      ) as tf.Tensor2D,
  );
  tf.dispose(parts.flat());
  return out;
}
