// Freeing what a model's embeddings() returned (every tensor of it, the per-entity weights included).
import { tf } from '../runtime/tf';
import type { Embeddings } from './types';

export function disposeEmbeddings(e: Embeddings): void {
  tf.dispose([e.joint, ...e.mods.values(), ...(e.entityWeights ? [e.entityWeights.weights] : [])]);
}
