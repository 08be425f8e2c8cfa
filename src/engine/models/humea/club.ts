// HUMEA's expert-disentanglement term (methods.md §1.2, "CLUB MI estimator", code version only; the
// logged runs most likely lacked it, so it is off unless --mi-loss is given). Per MoE modality one
// CLUBSample net: μ(z) = Linear(H→H/2)·ReLU·Linear(H/2→H), logvar(z) the same shape then tanh.
// Each step two distinct experts i, j of the modality give z1, z2; the encoder loss adds
// mi_loss × the mean over modalities of
//   mean_n ½ [Σ_d −(μ(z1) − z2)² / e^{logvar} − Σ_d −(μ(z1) − z2[perm])² / e^{logvar}]
// and, after the encoder step, the nets take one step of their own AdamW (lr 5e-4, weight decay
// 0.01) on −mean_n Σ_d −(μ(z1) − z2)² / (2 e^{logvar}) (the reference drops CLUB's −logvar term;
// kept as it is, for parity). Ours: z comes from the step's entities, not every entity.
import { mulberry32, permutation } from '../../random';
import { AdamW, ADAMW_DEFAULTS } from '../../nn/adamw';
import { matMul } from '../../nn/ops';
import { tf } from '../../runtime/tf';

interface Net {
  mu: tf.Variable[]; // W1, b1, W2, b2
  logvar: tf.Variable[];
}

export class Club {
  readonly params = new Map<string, tf.Variable>();
  readonly optimizer: AdamW;
  private readonly nets = new Map<string, Net>();

  constructor(modalities: string[], hidden: number, seed: number, prefix: string) {
    const rand = mulberry32(seed * 31 + 5);
    const s = () => Math.floor(rand() * 2 ** 31);
    const half = Math.floor(hidden / 2);
    // PyTorch's Linear initialisation: U(−1/√in, 1/√in) for weight and bias
    const linear = (name: string, inDims: number, outDims: number): tf.Variable[] => {
      const bound = 1 / Math.sqrt(inDims);
      const W = tf.variable(tf.randomUniform([inDims, outDims], -bound, bound, 'float32', s()), true, `${prefix}.club.${name}.W`);
      const b = tf.variable(tf.randomUniform([outDims], -bound, bound, 'float32', s()), true, `${prefix}.club.${name}.b`);
      this.params.set(`${name}.W`, W);
      this.params.set(`${name}.b`, b);
      return [W, b];
    };
    for (const m of modalities) {
      this.nets.set(m, {
        mu: [...linear(`${m}.mu1`, hidden, half), ...linear(`${m}.mu2`, half, hidden)],
        logvar: [...linear(`${m}.lv1`, hidden, half), ...linear(`${m}.lv2`, half, hidden)],
      });
    }
    this.optimizer = new AdamW(this.params, { ...ADAMW_DEFAULTS, lr: 5e-4, weightDecay: 0.01 });
  }

  get modalities(): string[] {
    return [...this.nets.keys()];
  }

  private mlp([W1, b1, W2, b2]: tf.Variable[], z: tf.Tensor2D): tf.Tensor2D {
    const h = tf.relu(tf.add(matMul(z, W1 as unknown as tf.Tensor2D), b1!)) as tf.Tensor2D;
    return tf.add(matMul(h, W2 as unknown as tf.Tensor2D), b2!) as tf.Tensor2D;
  }

  private stats(m: string, z1: tf.Tensor2D): { mu: tf.Tensor2D; precision: tf.Tensor2D } {
    const net = this.nets.get(m)!;
    const logvar = tf.tanh(this.mlp(net.logvar, z1));
    return { mu: this.mlp(net.mu, z1), precision: tf.exp(tf.neg(logvar)) as tf.Tensor2D };
  }

  /** The MI upper bound of one modality's expert outputs (differentiable in z1, z2). */
  upperBound(m: string, z1: tf.Tensor2D, z2: tf.Tensor2D, perm: Int32Array): tf.Scalar {
    const { mu, precision } = this.stats(m, z1);
    const positive = tf.sum(tf.mul(tf.neg(tf.square(tf.sub(mu, z2))), precision), 1);
    const negative = tf.sum(tf.mul(tf.neg(tf.square(tf.sub(mu, permuteRows(z2, perm)))), precision), 1);
    return tf.mul(tf.mean(tf.sub(positive, negative)), 0.5) as tf.Scalar;
  }

  /** One AdamW step of every net on its log-likelihood of (z1, z2) pairs (constants here). */
  learn(pairs: Map<string, [tf.Tensor2D, tf.Tensor2D]>): tf.Scalar {
    const vars = [...this.params.values()];
    const { value, grads } = tf.variableGrads(() => {
      const terms = [...pairs].map(([m, [z1, z2]]) => {
        const { mu, precision } = this.stats(m, z1);
        return tf.neg(tf.mean(tf.sum(tf.div(tf.mul(tf.neg(tf.square(tf.sub(mu, z2))), precision), 2), 1)));
      });
      return tf.addN(terms) as tf.Scalar;
    }, vars);
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of this.params) if (grads[v.name]) byName[name] = grads[v.name]!;
    this.optimizer.apply(byName);
    tf.dispose(Object.values(grads));
    return value; // read by whoever wants it: a device step reads nothing
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.optimizer.dispose();
  }
}

/** Step `e`'s random choices: two distinct experts per modality and a permutation of the rows. */
export function clubDraw(seed: number, e: number, modalities: string[], experts: number, rows: number): { pick: Map<string, [number, number]>; perm: Int32Array } {
  const rand = mulberry32(seed * 13 + e * 7 + 3);
  const pick = new Map<string, [number, number]>();
  for (const m of modalities) {
    const i = Math.floor(rand() * experts);
    const j = (i + 1 + Math.floor(rand() * (experts - 1))) % experts;
    pick.set(m, [i, j]);
  }
  return { pick, perm: permutation(rows, rand) };
}

/** Rows of x in the order `perm` (a permutation), with its gradient: the inverse permutation
 *  (tf.gather's gradient needs UnsortedSegmentSum, which wasm lacks). */
function permuteRows(x: tf.Tensor2D, perm: Int32Array): tf.Tensor2D {
  const inverse = new Int32Array(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.gather(args[0] as tf.Tensor, perm), gradFunc: (dy: tf.Tensor) => tf.gather(dy, inverse) }));
  return f(x) as tf.Tensor2D;
}
