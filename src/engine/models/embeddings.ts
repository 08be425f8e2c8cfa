// Freeing what a model's embeddings() returned (every tensor of it, the per-entity weights included),
// and the global weights of the models whose weights are per entity.
import { tf } from '../runtime/tf';
import type { Modality } from './modalities';
import type { Embeddings } from './types';

export function disposeEmbeddings(e: Embeddings): void {
  tf.dispose([e.joint, ...e.mods.values(), ...(e.entityWeights ? [e.entityWeights.weights] : [])]);
}

/** The embeddings of a model that weighs every modality of each entity itself (MEAformer, MPSEA):
 *  `joint` the concatenation of w_{i,m} n(e_m), `mods` in `present` order, `weights` rows × present. */
export function entityWeighted(present: Modality[], joint: tf.Tensor2D, mods: tf.Tensor2D[], weights: tf.Tensor2D): Embeddings {
  return { joint, mods: new Map(present.map((m, k) => [m, mods[k]!])), concatenated: true, entityWeights: { modalities: present, weights } };
}

/** Each modality's mean per-entity weight: from `emb` (the caller's evaluation embeddings of this
 *  model: no second forward) or else from a forward of `embed`. Read asynchronously: a device
 *  backend may have no synchronous read. Empty when the model has no per-entity weights. */
export async function meanEntityWeights(emb: Embeddings | undefined, embed: () => Embeddings): Promise<Record<string, number>> {
  const own = emb ? null : embed();
  const w = (emb ?? own)!.entityWeights;
  const mean = w ? tf.tidy(() => tf.mean(w.weights, 0)) : null;
  if (own) disposeEmbeddings(own);
  if (!w || !mean) return {};
  const d = await mean.data();
  mean.dispose();
  return Object.fromEntries(w.modalities.map((m, k) => [m, d[k]!]));
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
