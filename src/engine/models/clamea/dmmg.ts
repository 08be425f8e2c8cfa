// CLAMEA's dynamic missing modality generation (DMMG, §4.4; models.md "CLAMEA"): one VAE per
// unimodal and fused embedding (a, v, r, ar, vr, those present), each q(z|h) = N(μ, σ²) from two
// Linear maps of h and p(h|z) a Linear map of z;
//   L_vae = Σ_x [ mean_rows Σ_dims (recon_x − h_x)² + KL(q ‖ N(0, I)) ]   (eqs. 16–17)
//   L_m   = MSE(z^a, z^vr) + MSE(z^v, z^ar) + MSE(z^a, z^r) + MSE(z^v, z^r)   (eq. 18, those present)
// and a missing attribute (image) embedding generated as the Dsum of the attribute (image) decoder
// over the latents of vr and r (ar and r), the weights a learnt softmax (eq. 19).
// Choices (README): the VAEs read the embeddings detached — they model the embeddings and generate
// from them, and their losses do not reshape the embeddings the alignment uses; the reconstruction
// and L_m count only rows that have the target modality; evaluation uses z = μ.
import type { AddParam } from '../../nn/gat';
import { linear, type Linear } from '../../nn/tokens';
import { tf } from '../../runtime/tf';
import { torchLinear } from '../encoders';

export interface VaeParams {
  mu: Linear;
  logVar: Linear;
  decode: Linear;
}

export function vaeParams(add: AddParam, name: string, d: number, latent: number, draw: () => number): VaeParams {
  return {
    mu: torchLinear(add, `${name}.mu`, d, latent, draw),
    logVar: torchLinear(add, `${name}.logVar`, d, latent, draw),
    decode: torchLinear(add, `${name}.decode`, latent, d, draw),
  };
}

export interface VaeOutput {
  mu: tf.Tensor2D;
  logVar: tf.Tensor2D;
  /** the latent: μ + σ ⊙ ε in training (ε standard normal of `seed`), μ in evaluation */
  z: tf.Tensor2D;
  recon: tf.Tensor2D;
}

/** The VAE of `h` (rows × d); `seed` null: evaluation. */
export function vae(h: tf.Tensor2D, p: VaeParams, seed: number | null): VaeOutput {
  const mu = linear(h, p.mu);
  const logVar = linear(h, p.logVar);
  const z = seed === null ? mu : (tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), tf.randomNormal(mu.shape, 0, 1, 'float32', seed))) as tf.Tensor2D);
  return { mu, logVar, z, recon: linear(z, p.decode) };
}

/** KL(N(μ, σ²) ‖ N(0, I)) summed over the latent, averaged over rows: −½ Σ (1 + log σ² − μ² − σ²). */
export function klDivergence(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Scalar {
  const perRow = tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)), 1);
  return tf.mul(tf.mean(perRow), -0.5) as tf.Scalar;
}

/** Σ_dims (a − b)², averaged over the rows where `mask` (rows × 1, 0/1) is 1 (0 when none is). */
export function maskedSquaredError(a: tf.Tensor2D, b: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  const perRow = tf.sum(tf.square(tf.sub(a, b)), 1, true);
  return tf.div(tf.sum(tf.mul(perRow, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

/** Mean squared error over the rows where `mask` is 1 and every column (eq. 18's MSE). */
export function maskedMse(a: tf.Tensor2D, b: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.div(maskedSquaredError(a, b, mask), a.shape[1]) as tf.Scalar;
}
