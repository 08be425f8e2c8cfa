// The modality-token transformer layer of MEAformer (methods.md §2.2) and MPSEA: for each entity, its
// T modality embeddings are T tokens; one BERT layer (self-attention with `heads` heads, output dense
// + dropout + LayerNorm with a residual, optional GELU feed-forward sublayer) mixes them, and the
// attention probabilities give the per-entity modality weights.
//
// Built from 2-D products and element-wise ops only (environment.md: batched and transposed matMuls
// are speed traps on wasm): the T tokens are stacked along rows so each Linear is one product
// (T·rows × d)(d × d'); the T² query–key scores are row sums of element-wise products, per head a
// reshape to (rows·heads × d/heads). The gradients are tfjs's own through these ops (and ops.matMul's
// explicit transposes); test/unit/tokens.test.ts checks forward and gradients against a per-entity
// loop and finite differences.
import { mulberry32 } from '../random';
import { tf } from '../runtime/tf';
import { matMul } from './ops';

export interface Linear {
  W: tf.Tensor2D;
  b: tf.Tensor1D;
}

export interface LayerNorm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

/** One layer's parameters: query, key, value, the output dense and its LayerNorm; the feed-forward
 *  sublayer (d → intermediate → d, its own LayerNorm) when the layer has one. */
export interface TokenLayerParams {
  query: Linear;
  key: Linear;
  value: Linear;
  output: Linear;
  norm: LayerNorm;
  ffn?: { inner: Linear; outer: Linear; norm: LayerNorm };
}

export interface TokenLayerOptions {
  heads: number;
  /** dropout of the attention probabilities and of each sublayer's output (training only) */
  dropout: number;
  /** null: evaluation (no dropout); else the seed of this call's dropout masks */
  seed: number | null;
  /** LayerNorm's epsilon (BERT's 1e-12) */
  eps?: number;
}

export interface TokenLayerOutput {
  /** the T output tokens, rows × d each */
  tokens: tf.Tensor2D[];
  /** probs[t][u]: rows × heads, how much query token t attends to key token u (after dropout in
   *  training, as the reference returns them) */
  probs: tf.Tensor2D[][];
}

/** x W + b. */
export const linear = (x: tf.Tensor2D, l: Linear) => tf.add(matMul(x, l.W), l.b) as tf.Tensor2D;

/** LayerNorm over each row (biased variance, as PyTorch). */
export function layerNorm(x: tf.Tensor2D, p: LayerNorm, eps = 1e-12): tf.Tensor2D {
  const mean = tf.mean(x, 1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), 1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), p.gamma), p.beta) as tf.Tensor2D;
}

/** GELU as BERT's ACT2FN["gelu"] (the erf form). */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as tf.Tensor2D;
}

/** Stacks tokens along rows, and splits them back. */
export const stack = (xs: tf.Tensor2D[]) => (xs.length === 1 ? xs[0]! : (tf.concat(xs, 0) as tf.Tensor2D));
export const unstack = (x: tf.Tensor2D, T: number) => (T === 1 ? [x] : (tf.split(x, T, 0) as tf.Tensor2D[]));

/** A dropout of this call's seed (training), or none (evaluation: seed null). */
export function dropouts(o: Pick<TokenLayerOptions, 'dropout' | 'seed'>): <X extends tf.Tensor>(x: X) => X {
  const draw = o.seed === null ? null : mulberry32(o.seed);
  return <X extends tf.Tensor>(x: X): X => (draw && o.dropout > 0 ? (tf.dropout(x, o.dropout, undefined, Math.floor(draw() * 2 ** 31)) as X) : x);
}

/**
 * Multi-head attention of each query (rows × d) over the key/value slots (rows × d each), per entity:
 * softmax over the slots of q·k/√(d/heads) per head, dropped out, times the values. Returns each
 * query's context (rows × d) and probs[query][slot] (rows × heads).
 */
export function attend(queries: tf.Tensor2D[], keys: tf.Tensor2D[], values: tf.Tensor2D[], heads: number, drop: <X extends tf.Tensor>(x: X) => X): { context: tf.Tensor2D[]; probs: tf.Tensor2D[][] } {
  const [rows, d] = queries[0]!.shape;
  if (d % heads !== 0) throw new Error(`the token width ${d} is not a multiple of the ${heads} attention heads`);
  const dh = d / heads;
  const S = keys.length;
  // per head, the rows of a token viewed as (rows·heads × dh)
  const perHead = (t: tf.Tensor2D) => tf.reshape(t, [rows * heads, dh]) as tf.Tensor2D;
  const [kh, vh] = [keys.map(perHead), values.map(perHead)];
  const scale = 1 / Math.sqrt(dh);
  const probs: tf.Tensor2D[][] = [];
  const context = queries.map((q) => {
    const qh = perHead(q);
    // scores against every slot: (rows·heads × 1) each, softmax over the slots
    const scores = kh.map((k) => tf.mul(tf.sum(tf.mul(qh, k), 1, true), scale));
    const soft = tf.softmax(S === 1 ? scores[0]! : tf.concat(scores, 1)) as tf.Tensor2D;
    const p = (S === 1 ? [soft] : (tf.split(soft, S, 1) as tf.Tensor2D[])).map((x) => drop(x));
    probs.push(p.map((x) => tf.reshape(x, [rows, heads]) as tf.Tensor2D));
    return tf.reshape(
      p.map((x, u) => tf.mul(x, vh[u]!)).reduce((a, c) => tf.add(a, c)),
      [rows, d],
    ) as tf.Tensor2D;
  });
  return { context, probs };
}

/** The layer's tail over stacked rows: output dense, dropout, LayerNorm with the residual `x`, then
 *  the feed-forward sublayer when there is one. */
export function layerTail(context: tf.Tensor2D, x: tf.Tensor2D, p: Pick<TokenLayerParams, 'output' | 'norm' | 'ffn'>, drop: <X extends tf.Tensor>(x: X) => X, eps = 1e-12): tf.Tensor2D {
  let out = layerNorm(tf.add(drop(linear(context, p.output)), x) as tf.Tensor2D, p.norm, eps);
  if (p.ffn) {
    const inner = gelu(linear(out, p.ffn.inner));
    out = layerNorm(tf.add(drop(linear(inner, p.ffn.outer)), out) as tf.Tensor2D, p.ffn.norm, eps);
  }
  return out;
}

/** One transformer layer over the tokens (each rows × d). */
export function tokenLayer(tokens: tf.Tensor2D[], p: TokenLayerParams, o: TokenLayerOptions): TokenLayerOutput {
  const T = tokens.length;
  const drop = dropouts(o);
  const x = stack(tokens);
  const [q, k, v] = [p.query, p.key, p.value].map((l) => unstack(linear(x, l), T));
  const { context, probs } = attend(q!, k!, v!, o.heads, drop);
  return { tokens: unstack(layerTail(stack(context), x, p, drop, o.eps ?? 1e-12), T), probs };
}

/** Per-entity modality weights from a layer's attention (MEAformer's): the attention each key token
 *  receives, summed over heads and queries, over √(T·heads), softmax over the tokens. rows × T. */
export function receivedWeights(probs: tf.Tensor2D[][]): tf.Tensor2D {
  const T = probs.length;
  const H = probs[0]![0]!.shape[1];
  const received = probs[0]!.map((_, u) =>
    tf.sum(
      probs.map((row) => row[u]!).reduce((a, b) => tf.add(a, b)),
      1,
      true,
    ),
  );
  return tf.softmax(tf.div(tf.concat(received, 1), Math.sqrt(T * H))) as tf.Tensor2D;
}
