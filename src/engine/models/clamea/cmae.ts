// CLAMEA's cross-modal association extraction (CMAE, §4.5; models.md "CLAMEA"), per target modality m
// of those present (r, a, v):
//   ĥ^m = w_m h^m + Σ_{j ≠ m} w_j MH_mj(h^j, h^m) + w_F MH_mF(h^F, h^m)          (eqs. 20–22)
// with h^F the concatenation of the other two modalities (only when three are present), and
//   L_s = Σ_{m, j ≠ m} mean_rows ((h^m − MH_mj(h^j, h^m)) · h^j)²                 (eqs. 23–25)
// per row, not the rows × rows Gram matrix eq. 24 would form if read as matrices (models.md).
// MH's keys and values are the source's one token per entity, so its softmax is 1 and MH is the
// value projection then the output projection of the source (the query does not enter); w a learnt
// softmax per target over its slots [self, sources…, fused] (models.md's choice: "global").
import type { AddParam } from '../../nn/gat';
import { linear, type Linear } from '../../nn/tokens';
import { tf } from '../../runtime/tf';
import { torchLinear } from '../encoders';

export interface CmaeSource {
  value: Linear;
  output: Linear;
}

export interface CmaeTarget {
  /** one per other modality, in order, then the fused one when there is one */
  sources: CmaeSource[];
  logits: tf.Tensor1D;
}

/** The parameters of every target of `k` modalities (d each). */
export function cmaeParams(add: AddParam, name: string, k: number, d: number, draw: () => number): CmaeTarget[] {
  return Array.from({ length: k }, (_, m) => {
    const slots = k - 1 + (k === 3 ? 1 : 0);
    const sources = Array.from({ length: slots }, (_, s) => {
      const inDims = s === k - 1 ? 2 * d : d; // the fused source is two modalities wide
      return { value: torchLinear(add, `${name}${m}.${s}.value`, inDims, d, draw), output: torchLinear(add, `${name}${m}.${s}.output`, d, d, draw) };
    });
    return { sources, logits: add(`${name}${m}.logits`, tf.zeros([1 + slots])) as unknown as tf.Tensor1D };
  });
}

const mh = (source: tf.Tensor2D, p: CmaeSource) => linear(linear(source, p.value), p.output);

/** ĥ for every modality of `h` (in order) and L_s. */
export function cmae(h: tf.Tensor2D[], p: CmaeTarget[]): { hat: tf.Tensor2D[]; orthogonality: tf.Scalar } {
  const k = h.length;
  let orthogonality: tf.Tensor = tf.scalar(0);
  const hat = h.map((hm, m) => {
    const others = h.filter((_, j) => j !== m);
    const inputs = k === 3 ? [...others, tf.concat(others, 1) as tf.Tensor2D] : others;
    const w = tf.softmax(p[m]!.logits);
    let out = tf.mul(hm, tf.slice(w, 0, 1)) as tf.Tensor2D;
    inputs.forEach((src, s) => {
      const a = mh(src, p[m]!.sources[s]!);
      out = tf.add(out, tf.mul(a, tf.slice(w, s + 1, 1))) as tf.Tensor2D;
      if (s < others.length) {
        const dot = tf.sum(tf.mul(tf.sub(hm, a), src), 1);
        orthogonality = tf.add(orthogonality, tf.mean(tf.square(dot)));
      }
    });
    return out;
  });
  return { hat, orthogonality: orthogonality as tf.Scalar };
}
