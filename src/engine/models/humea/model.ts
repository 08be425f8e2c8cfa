// HUMEA (AAAI 2026; methods.md §1): the diag GAT over a learnable entity table, one noisy-gated
// mixture of experts per feature modality, the power-set inter-modal router and the weighted
// concatenation of the L2-normalised modality embeddings. Absent modalities are left out (no
// zero or random stand-ins); `without` 1–6 zero a modality before fusion as the reference's switch.
import type { HumeaOptions } from '../../../shared/models/humea';
import type { Features } from '../../features/build';
import { DiagGat } from '../../nn/gat';
import { fuse, matMul, type Memo } from '../../nn/ops';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';
import { inputDims, modalityInput, presentModalities, rowsTimes, type Modality, type ModalityInput } from '../modalities';

/** The reference's seven combos (methods.md §1.2) with {name} and {word} in place of its two
 *  single-text combos ({rel_text}, {att_text}). */
const COMBOS: Modality[][] = [['img'], ['name'], ['word'], ['rel', 'att'], ['gph', 'rel'], ['gph', 'att'], ['gph', 'rel', 'att']];
/** `--without` codes 1–6 of the reference, by modality (4 and 6 are the text ones). */
export const WITHOUT_CODES: Record<number, Modality | 'rel_text' | 'att_text'> = { 1: 'img', 2: 'gph', 3: 'rel', 4: 'rel_text', 5: 'att', 6: 'att_text' };

/** The encoder's part of the options. */
export type HumeaConfig = Pick<HumeaOptions, 'seed' | 'hidden' | 'heads' | 'gatLayers' | 'experts' | 'topk' | 'fusionWeightDim' | 'modalities' | 'without'>;

export interface Forward {
  /** per present modality: rows × hidden (the raw MoE / GAT output, not normalised) */
  mods: Map<Modality, tf.Tensor2D>;
  joint: tf.Tensor2D;
  /** per present modality, its fusion weight */
  weights: tf.Tensor1D;
  /** per MoE modality, the raw expert outputs, rows × experts × hidden (for CLUB) */
  experts: Map<Modality, tf.Tensor3D>;
}

let instances = 0;

export class Humea {
  readonly present: Modality[];
  readonly combos: number[][]; // indexes into `present`
  readonly params = new Map<string, tf.Variable>();
  private readonly inputs = new Map<Modality, ModalityInput>();
  private gat: DiagGat | null = null;
  readonly prefix = `humea${instances++}`;

  constructor(
    readonly features: Features,
    readonly config: HumeaConfig,
  ) {
    this.present = presentModalities(features, config.modalities);
    const combos: number[][] = [];
    for (const c of COMBOS) {
      const idx = c.map((m) => this.present.indexOf(m)).filter((i) => i >= 0);
      if (idx.length > 0 && !combos.some((x) => x.join() === idx.join())) combos.push(idx);
    }
    this.combos = combos;
    for (const m of this.present) if (m !== 'gph') this.inputs.set(m, modalityInput(features, m));
    this.init();
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    const v = tf.variable(t, true, `${this.prefix}.${name}`);
    t.dispose();
    this.params.set(name, v);
    return v;
  }

  private init(): void {
    const { hidden: H, experts: E, seed } = this.config;
    const rand = mulberry32(seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    if (this.present.includes('gph')) this.gat = new DiagGat(this.features, this.config, (name, t) => this.add(name, t), s);
    for (const [m, input] of this.inputs) {
      const inDims = inputDims(input);
      this.add(`${m}.W`, tf.randomNormal([inDims, E * H], 0, 0.02, 'float32', s()));
      this.add(`${m}.b`, tf.zeros([E, inDims]));
      this.add(`${m}.gate`, tf.zeros([inDims, E]));
      this.add(`${m}.noise`, tf.zeros([inDims, E]));
    }
    const C = this.combos.length;
    const d = this.config.fusionWeightDim;
    if (d > 0) {
      this.add('router.q', tf.randomNormal([1, d], 0, 1, 'float32', s()));
      const bound = 1 / Math.sqrt(d);
      this.add('router.W', tf.randomUniform([d, C], -bound, bound, 'float32', s()));
      this.add('router.bias', tf.randomUniform([C], -bound, bound, 'float32', s()));
    } else {
      this.add('router.logits', tf.zeros([C]));
    }
  }

  private p(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /** HUMEA's intra-modal MoE: experts y_e = W_e(x − b_e), noisy softmax gate (dense, no top-k). */
  private moe(m: Modality, rows: Int32Array, training: boolean, noiseSeed: number, memo?: Memo): { out: tf.Tensor2D; experts: tf.Tensor3D } {
    const { experts: E, hidden: H } = this.config;
    const W = this.p(`${m}.W`) as unknown as tf.Tensor2D;
    const P = rows.length;
    const lin = rowsTimes(m, this.inputs.get(m)!, rows, memo);
    const xw = lin(W, 'W');
    // b_e·W_e for every expert: the diagonal blocks of b · W (E × E·H), cheap next to x · W
    const bw = matMul(this.p(`${m}.b`) as unknown as tf.Tensor2D, W);
    const offsets = tf.concat(
      Array.from({ length: E }, (_, e) => tf.slice(bw, [e, e * H], [1, H])),
      1,
    );
    const experts = tf.reshape(tf.sub(xw, offsets), [P, E, H]) as tf.Tensor3D;
    let logits = lin(this.p(`${m}.gate`) as unknown as tf.Tensor2D, 'gate');
    if (training) {
      const noiseStd = tf.add(tf.softplus(lin(this.p(`${m}.noise`) as unknown as tf.Tensor2D, 'noise')), 0.01);
      logits = tf.add(logits, tf.mul(tf.randomNormal([P, E], 0, 1, 'float32', noiseSeed), noiseStd));
    }
    const gates = tf.softmax(logits, 1);
    return { out: tf.sum(tf.mul(experts, tf.expandDims(gates, 2)), 1) as tf.Tensor2D, experts };
  }

  /** Modality weights: top-k combos of the router's softmax, renormalised; w_m = Σ_{c ∋ m} π_c. */
  modalityWeights(): tf.Tensor1D {
    const C = this.combos.length;
    const logits =
      this.config.fusionWeightDim > 0
        ? (tf.add(tf.reshape(matMul(this.p('router.q') as unknown as tf.Tensor2D, this.p('router.W') as unknown as tf.Tensor2D), [C]), this.p('router.bias')) as tf.Tensor1D)
        : (this.p('router.logits') as unknown as tf.Tensor1D);
    const pi = tf.softmax(logits);
    const k = Math.min(this.config.topk, C);
    let masked = pi;
    if (k < C) {
      // the k largest on the backend (no host read); exact ties in the backend's order (the cpu
      // backend's: lower index first, as the stable sort this replaced)
      const mask = tf.sum(tf.oneHot(tf.topk(pi, k).indices, C), 0);
      masked = tf.mul(pi, mask);
    }
    const norm = tf.div(masked, tf.sum(masked));
    const member = new Float32Array(C * this.present.length);
    this.combos.forEach((c, ci) => c.forEach((m) => (member[ci * this.present.length + m] = 1)));
    return tf.reshape(matMul(tf.reshape(norm, [1, C]) as tf.Tensor2D, tf.tensor2d(member, [C, this.present.length])), [this.present.length]) as tf.Tensor1D;
  }

  /** The embeddings of `rows` (null: every entity, as in evaluation). */
  /** `memo`: reuse the expensive products of an identical earlier forward (ops.ts Memo). */
  forward(rows: Int32Array | null, training: boolean, noiseSeed = 0, memo?: Memo): Forward {
    const all = rows ?? Int32Array.from({ length: this.features.rows }, (_, i) => i);
    const mods = new Map<Modality, tf.Tensor2D>();
    const experts = new Map<Modality, tf.Tensor3D>();
    const zeroed = new Set(this.config.without.map((c) => WITHOUT_CODES[c]));
    this.present.forEach((m, i) => {
      let e: tf.Tensor2D;
      if (m === 'gph') e = this.gat!.forward(rows, memo);
      else {
        const r = this.moe(m, all, training, noiseSeed + 7919 * i, memo);
        e = r.out;
        experts.set(m, r.experts);
      }
      mods.set(m, zeroed.has(m) ? tf.zerosLike(e) : e);
    });
    const weights = this.modalityWeights();
    return { mods, joint: this.fuse([...mods.values()], weights), weights, experts };
  }

  /** The raw expert outputs of the MoE modalities for `rows` (what CLUB's estimator learns from),
   *  with the same gate noise as forward(rows, training, noiseSeed), without the structure encoder. */
  expertOutputs(rows: Int32Array, training: boolean, noiseSeed: number): Map<Modality, tf.Tensor3D> {
    const experts = new Map<Modality, tf.Tensor3D>();
    this.present.forEach((m, i) => {
      if (m !== 'gph') experts.set(m, this.moe(m, rows, training, noiseSeed + 7919 * i).experts);
    });
    return experts;
  }

  /** Joint = concat_m w_m · L2norm(e_m), modalities in `present` order. */
  fuse(mods: tf.Tensor2D[], weights: tf.Tensor1D): tf.Tensor2D {
    return fuse(mods, weights);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
