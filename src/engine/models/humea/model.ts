// HUMEA (AAAI 2026; methods.md §1): the diag GAT over a learnable entity table, one noisy-gated
// mixture of experts per feature modality, the power-set inter-modal router and the weighted
// concatenation of the L2-normalised modality embeddings. Absent modalities are left out (no
// zero or random stand-ins); `without` 1–6 zero a modality before fusion as the reference's switch.
import { coverageCounts, type Features } from '../../features/build';
import type { Csr } from '../../features/sparse';
import { mulberry32 } from '../../random';
import type { AggGraph, SparseRows } from '../../nn/kernels';
import { constMatMul, fuse, gatLayer, matMul, spmm, type Memo } from '../../nn/ops';
import { tf } from '../../runtime/tf';

export type Modality = 'gph' | 'img' | 'rel' | 'att' | 'name' | 'word';
/** HUMEA's fusion order; the reference's text modalities (rel_text, att_text: RoBERTa vectors) have
 *  no offline source here; `name` (character n-grams) and `word` (the names' mean word vectors) are
 *  ours, fused like text modalities. */
export const MODALITY_ORDER: Modality[] = ['gph', 'img', 'rel', 'att', 'name', 'word'];
/** The reference's seven combos (methods.md §1.2) with {name} and {word} in place of its two
 *  single-text combos ({rel_text}, {att_text}). */
const COMBOS: Modality[][] = [['img'], ['name'], ['word'], ['rel', 'att'], ['gph', 'rel'], ['gph', 'att'], ['gph', 'rel', 'att']];
/** `--without` codes 1–6 of the reference, by modality (4 and 6 are the text ones). */
export const WITHOUT_CODES: Record<number, Modality | 'rel_text' | 'att_text'> = { 1: 'img', 2: 'gph', 3: 'rel', 4: 'rel_text', 5: 'att', 6: 'att_text' };

export interface HumeaConfig {
  seed: number;
  hidden: number; // feat_dim, 300
  heads: number; // 2
  gatLayers: number; // 2
  experts: number; // n_exp, 5
  topk: number; // router top-k over combos, 5
  fusionWeightDim: number; // 0: free combo logits; d > 0: Linear(d → combos) of a learned query
  modalities: Modality[]; // requested; those a dataset lacks are dropped
  without: number[]; // 1–8 as the reference
}

export const HUMEA_DEFAULTS: HumeaConfig = {
  seed: 42,
  hidden: 300,
  heads: 2,
  gatLayers: 2,
  experts: 5,
  topk: 5,
  fusionWeightDim: 0,
  modalities: ['gph', 'img', 'rel', 'att', 'name', 'word'],
  without: [],
};

type Input = { kind: 'sparse'; csr: Csr } | { kind: 'dense'; dims: number; matrix: Float32Array };

/** Which modalities a dataset can feed: both graphs must have some entities with it. */
export function availableModalities(f: Features): Modality[] {
  const c = coverageCounts(f);
  const both = ([a, b]: [number, number]) => a > 0 && b > 0;
  const out: Modality[] = [];
  if (both(c.structure)) out.push('gph');
  if (f.image.dims > 0 && both(c.images)) out.push('img');
  if (f.relationBow.cols > 0 && both(c.relations)) out.push('rel');
  if (f.attributeBow.cols > 0 && both(c.attributes)) out.push('att');
  if (both(c.names)) out.push('name');
  if (f.words.dims > 0 && both(c.words)) out.push('word');
  return out;
}

/** The GAT's adjacency: every undirected neighbour once (h ≠ t) plus a self-loop (methods.md §0.3). */
export function gatGraph(f: Features): AggGraph {
  const { indptr, neighbours } = f.graph;
  const outPtr = new Int32Array(f.rows + 1);
  const idx: number[] = [];
  const seen = new Int32Array(f.rows).fill(-1);
  for (let i = 0; i < f.rows; i++) {
    idx.push(i);
    seen[i] = i;
    const nb: number[] = [];
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = neighbours[p]!;
      if (seen[j] === i) continue;
      seen[j] = i;
      nb.push(j);
    }
    nb.sort((x, y) => x - y);
    for (const j of nb) idx.push(j);
    outPtr[i + 1] = idx.length;
  }
  return { outputs: f.rows, indptr: outPtr, indices: Int32Array.from(idx), self: Int32Array.from({ length: f.rows }, (_, i) => i) };
}

/** The rows `rows` of `g` (repeats allowed), as an AggGraph over the same inputs. */
export function subGraph(g: AggGraph, rows: Int32Array): AggGraph {
  let n = 0;
  for (const r of rows) n += g.indptr[r + 1]! - g.indptr[r]!;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(n);
  let at = 0;
  rows.forEach((r, i) => {
    indices.set(g.indices.subarray(g.indptr[r]!, g.indptr[r + 1]!), at);
    at += g.indptr[r + 1]! - g.indptr[r]!;
    indptr[i + 1] = at;
  });
  return { outputs: rows.length, indptr, indices, self: Int32Array.from(rows, (r) => g.self[r]!) };
}

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
  private readonly inputs = new Map<Modality, Input>();
  private readonly graph: AggGraph;
  readonly prefix = `humea${instances++}`;

  constructor(
    readonly features: Features,
    readonly config: HumeaConfig,
  ) {
    const avail = availableModalities(features);
    this.present = MODALITY_ORDER.filter((m) => avail.includes(m) && config.modalities.includes(m));
    if (this.present.length === 0) throw new Error('no modality of this dataset is selected');
    const combos: number[][] = [];
    for (const c of COMBOS) {
      const idx = c.map((m) => this.present.indexOf(m)).filter((i) => i >= 0);
      if (idx.length > 0 && !combos.some((x) => x.join() === idx.join())) combos.push(idx);
    }
    this.combos = combos;
    this.graph = gatGraph(features);
    if (this.present.includes('img')) this.inputs.set('img', { kind: 'dense', dims: features.image.dims, matrix: features.image.matrix });
    if (this.present.includes('rel')) this.inputs.set('rel', { kind: 'sparse', csr: features.relationBow });
    if (this.present.includes('att')) this.inputs.set('att', { kind: 'sparse', csr: features.attributeBow });
    if (this.present.includes('name')) this.inputs.set('name', { kind: 'sparse', csr: features.names });
    if (this.present.includes('word')) this.inputs.set('word', { kind: 'dense', dims: features.words.dims, matrix: features.words.matrix });
    this.init();
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    const v = tf.variable(t, true, `${this.prefix}.${name}`);
    t.dispose();
    this.params.set(name, v);
    return v;
  }

  private init(): void {
    const { hidden: H, heads, experts: E, seed } = this.config;
    const rand = mulberry32(seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    const N = this.features.rows;
    if (this.present.includes('gph')) {
      this.add('ent', tf.randomNormal([N, H], 0, 1 / Math.sqrt(N), 'float32', s()));
      for (let l = 0; l < this.config.gatLayers; l++) {
        this.add(`gat${l}.w`, tf.ones([heads, H]));
        const bound = 1 / Math.sqrt(2 * H);
        this.add(`gat${l}.a`, tf.randomUniform([heads, 2 * H], -bound, bound, 'float32', s()));
      }
    }
    for (const [m, input] of this.inputs) {
      const inDims = input.kind === 'sparse' ? input.csr.cols : input.dims;
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

  /** Structure: all layers over the whole graph except the last, which only computes `rows`. */
  private structure(rows: Int32Array | null, memo?: Memo): tf.Tensor2D {
    let x: tf.Tensor2D = this.p('ent') as unknown as tf.Tensor2D;
    const L = this.config.gatLayers;
    for (let l = 0; l < L; l++) {
      const last = l === L - 1;
      const g = last && rows ? subGraph(this.graph, rows) : this.graph;
      x = gatLayer(x, this.p(`gat${l}.w`) as unknown as tf.Tensor2D, this.p(`gat${l}.a`) as unknown as tf.Tensor2D, g, memo, `gat${l}`);
      if (!last) x = tf.elu(x);
    }
    return x;
  }

  /** HUMEA's intra-modal MoE: experts y_e = W_e(x − b_e), noisy softmax gate (dense, no top-k). */
  private moe(m: Modality, rows: Int32Array, training: boolean, noiseSeed: number, memo?: Memo): { out: tf.Tensor2D; experts: tf.Tensor3D } {
    const input = this.inputs.get(m)!;
    const { experts: E, hidden: H } = this.config;
    const W = this.p(`${m}.W`) as unknown as tf.Tensor2D;
    const P = rows.length;
    let lin: (w: tf.Tensor2D, key: string) => tf.Tensor2D;
    if (input.kind === 'sparse') {
      const x: SparseRows = { rows, indptr: input.csr.indptr, indices: input.csr.indices, values: input.csr.values };
      lin = (w, key) => spmm(x, w, memo, `${m}.${key}`);
    } else {
      // the rows' vectors, gathered once per step (the second pass of a step reuses them)
      let dense = memo?.get(`${m}.x`) as Float32Array | undefined;
      if (!dense) {
        const d = new Float32Array(P * input.dims);
        rows.forEach((r, i) => d.set(input.matrix.subarray(r * input.dims, (r + 1) * input.dims), i * input.dims));
        memo?.set(`${m}.x`, d);
        dense = d;
      }
      const xt = tf.tensor2d(dense, [P, input.dims]);
      lin = (w, key) => constMatMul(xt, w, memo, `${m}.${key}`);
    }
    const xw = lin(W, 'W');
    // b_e·W_e for every expert: the diagonal blocks of b · W (E × E·H), cheap next to x · W
    const bw = matMul(this.p(`${m}.b`) as unknown as tf.Tensor2D, W);
    const offsets = tf.concat(Array.from({ length: E }, (_, e) => tf.slice(bw, [e, e * H], [1, H])), 1);
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
      const order = Array.from(pi.dataSync()).map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
      const mask = new Float32Array(C);
      for (let i = 0; i < k; i++) mask[order[i]![1]] = 1;
      masked = tf.mul(pi, tf.tensor1d(mask));
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
      if (m === 'gph') e = this.structure(rows, memo);
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
