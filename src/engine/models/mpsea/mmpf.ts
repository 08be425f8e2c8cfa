// MPSEA's multi-modal pre-synergistic fusion layer (MMPF; the paper's §3.4, Eqs. 6–9;
// ../shared/docs/models.md "MPSEA"), on the token block's pieces (nn/tokens.ts). Each modality token
// has its own query, key and value projections. The structure token attends to itself only; every
// other token (image, relations, attributes, numbers, names) queries the key/value slots of all of
// them plus the structure's — and, with images, the image's — keys and values again as prefixes
// scaled by a learnable λ (init 1): K̂ = [K_m ; λ_g K_g ; λ_v K_v]. The output dense, the LayerNorms
// and the feed-forward sublayer are shared by the tokens (as one BERT layer's are across positions).
// Weights (Eq. 9): a token's β is the attention its own slot receives (the structure's: its prefix
// slot), summed over heads and queries; w ∝ exp(β_m / √(|M₁|·heads)) for the queried tokens and
// exp(β_g / √heads) for the structure, normalised together.
import { attend, dropouts, layerTail, linear, stack, unstack, type Linear, type TokenLayerParams } from '../../nn/tokens';
import { tf } from '../../runtime/tf';
import type { Modality } from '../modalities';

export interface MmpfParams extends Pick<TokenLayerParams, 'output' | 'norm' | 'ffn'> {
  /** each token's own query, key and value */
  projections: Map<Modality, { query: Linear; key: Linear; value: Linear }>;
  /** the prefixes' scales (1-element tensors): the structure's, the image's */
  lambda: Map<'gph' | 'img', tf.Tensor1D>;
}

export interface MmpfOptions {
  heads: number;
  dropout: number;
  /** null: evaluation */
  seed: number | null;
  /** which prefixes: the structure's and/or the image's (the ablations w/o MMPF-gph, -img) */
  prefixes: ('gph' | 'img')[];
  /** w/o MMPF: the structure an ordinary token (querying and queried), no prefixes */
  plain?: boolean;
}

export interface MmpfOutput {
  /** each token's output, in the input's order */
  tokens: Map<Modality, tf.Tensor2D>;
  /** rows × tokens (the input's order): Eq. 9's weights */
  weights: tf.Tensor2D;
}

/** One MMPF layer over `tokens` (each rows × d; the structure under 'gph'). */
export function mmpfLayer(tokens: Map<Modality, tf.Tensor2D>, p: MmpfParams, o: MmpfOptions): MmpfOutput {
  const drop = dropouts(o);
  const order = [...tokens.keys()];
  const queried = o.plain ? order : order.filter((m) => m !== 'gph');
  const proj = (m: Modality, which: 'query' | 'key' | 'value') => linear(tokens.get(m)!, p.projections.get(m)![which]);
  const keys = queried.map((m) => proj(m, 'key'));
  const values = queried.map((m) => proj(m, 'value'));
  const prefixes = o.plain ? [] : o.prefixes.filter((m) => tokens.has(m));
  for (const m of prefixes) {
    const lambda = p.lambda.get(m)!;
    keys.push(tf.mul(proj(m, 'key'), lambda));
    values.push(tf.mul(proj(m, 'value'), lambda));
  }
  const contexts = new Map<Modality, tf.Tensor2D>();
  let received: tf.Tensor2D[] = [];
  if (queried.length > 0) {
    const { context, probs } = attend(
      queried.map((m) => proj(m, 'query')),
      keys,
      values,
      o.heads,
      drop,
    );
    queried.forEach((m, k) => contexts.set(m, context[k]!));
    // β per slot: summed over heads and queries (rows × 1)
    received = keys.map(
      (_, u) =>
        tf.sum(
          probs.map((row) => row[u]!).reduce((a, b) => tf.add(a, b)),
          1,
          true,
        ) as tf.Tensor2D,
    );
  }
  // the structure attends to itself alone: its context is its value
  if (tokens.has('gph') && !contexts.has('gph')) contexts.set('gph', proj('gph', 'value'));
  const x = stack(order.map((m) => tokens.get(m)!));
  const out = unstack(layerTail(stack(order.map((m) => contexts.get(m)!)), x, p, drop), order.length);
  // Eq. 9: the queried tokens' own slots over √(|M₁|·heads), the structure's prefix slot over √heads
  // (no prefix, no attention received: its logit is 0)
  const rows = x.shape[0] / order.length;
  const logits = order.map((m) => {
    if (queried.includes(m)) return tf.div(received[queried.indexOf(m)]!, Math.sqrt(queried.length * o.heads));
    const at = prefixes.indexOf('gph');
    return at < 0 || queried.length === 0 ? tf.zeros([rows, 1]) : tf.div(received[queried.length + at]!, Math.sqrt(o.heads));
  });
  return { tokens: new Map(order.map((m, k) => [m, out[k]!])), weights: tf.softmax(tf.concat(logits, 1)) as tf.Tensor2D };
}
