// LoginMEA's encoder (ECAI 2024; methods.md §4, models.md; reference sutaoyu/LoginMEA src/models.py,
// MultiModalEncoderMrFusion): a structure encoder — the mean of a free entity table over each node's
// neighbourhood, then RREA layers (nn/rrea.ts) — and a joint encoder — the same layers (their own
// attention kernels, the shared relation table) over the adaptive low-rank fusion (LMF) of the
// feature modalities. Final embedding [structure ‖ joint] (3H + (M + 2)H with two layers).
// The paper's ablations are options (README.md): the fusion (LMF, sum, concatenation), the
// per-entity attention, the graph layer (RREA or the diag GAT) and the paradigm (GAM: the structure
// fused as one more modality, no joint layers; GUM: graph layers on each modality, then fused).
import type { LoginmeaOptions } from '../../../shared/models/loginmea';
import type { Features } from '../../features/build';
import { gatGraph } from '../../nn/gat';
import { gatLayer, l2normalize, matMul, rreaLayer, spmm, takeRows, tanh } from '../../nn/ops';
import { relationGraph, type RelationGraph } from '../../nn/rrea';
import { mulberry32 } from '../../random';
import type { AggGraph, SparseRows } from '../../runtime/layouts';
import { tf } from '../../runtime/tf';
import { inputDims, modalityInput, presentModalities, rowsTimes, type Modality, type ModalityInput } from '../modalities';
import { lowRankFusion } from './lmf';

export type LoginmeaConfig = Pick<LoginmeaOptions, 'seed' | 'hidden' | 'gnnLayers' | 'rank' | 'modalities'> & Partial<Pick<LoginmeaOptions, 'fusion' | 'adaptiveWeights' | 'graphLayer' | 'paradigm'>>;

export interface LoginmeaForward {
  /** the structure encoder's layers h⁰ … h^L (every entity) */
  structure: tf.Tensor2D[];
  /** the joint encoder's layers h¹ … h^L (every entity; its h⁰ slot is the early fusion); GAM's and
   *  GUM's: tanh of the fusion */
  joint: tf.Tensor2D[];
  /** the early fusion's inputs: each fused feature modality normalised, and the softmax of its global
   *  weights (computed for the rows asked for only: see rowsOf); none in GAM */
  normed: tf.Tensor2D[];
  mix: tf.Tensor1D | null;
  /** each feature modality's encoder output */
  encoded: Map<Modality, tf.Tensor2D>;
  /** rows × fused modalities (`fusedModalities`): the fusion's per-entity modality attention (null
   *  without features, or without adaptive weights) */
  attention: tf.Tensor2D | null;
}

/** Each row's neighbours and itself, each weighted 1/count: the structure input's mean. */
function meanAdjacency(g: RelationGraph): SparseRows {
  const indptr = new Int32Array(g.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < g.rows; i++) {
    const nb = [i, ...g.src.subarray(g.indptr[i]!, g.indptr[i + 1]!)];
    for (const j of nb) {
      indices.push(j);
      values.push(1 / nb.length);
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: Int32Array.from({ length: g.rows }, (_, i) => i), indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
}

let instances = 0;

export class Loginmea {
  readonly present: Modality[];
  /** the feature modalities, in `present` order */
  readonly fused: Modality[];
  /** what the fusion combines: the feature modalities, after the structure in GAM */
  readonly fusedModalities: Modality[];
  readonly params = new Map<string, tf.Variable>();
  readonly prefix = `loginmea${instances++}`;
  readonly graph: RelationGraph;
  private readonly gat: AggGraph | null;
  private readonly mean: SparseRows;
  private readonly inputs = new Map<Modality, ModalityInput>();
  readonly fusion: NonNullable<LoginmeaConfig['fusion']>;
  readonly adaptive: boolean;
  readonly paradigm: NonNullable<LoginmeaConfig['paradigm']>;

  /** whether the fusion weighs each entity's modalities (then `attention` is given) */
  get attends(): boolean {
    return this.adaptive && this.fusedModalities.length > 0;
  }

  constructor(
    readonly features: Features,
    readonly config: LoginmeaConfig,
  ) {
    this.present = presentModalities(features, config.modalities);
    if (!this.present.includes('gph')) throw new Error('LoginMEA needs the structure (gph): its encoders are graph layers');
    this.fused = this.present.filter((m) => m !== 'gph');
    this.fusion = config.fusion ?? 'lmf';
    this.adaptive = config.adaptiveWeights ?? true;
    this.paradigm = config.paradigm ?? 'login';
    this.fusedModalities = this.paradigm === 'gam' && this.fused.length > 0 ? ['gph', ...this.fused] : this.fused;
    this.graph = relationGraph(features.rows, features.graph);
    this.gat = config.graphLayer === 'gat' ? gatGraph(features) : null;
    this.mean = meanAdjacency(this.graph);
    const { hidden: H, rank: R, seed } = config;
    const rand = mulberry32(seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    const xavierUniform = (shape: [number, number]) => tf.randomUniform(shape, -Math.sqrt(6 / (shape[0] + shape[1])), Math.sqrt(6 / (shape[0] + shape[1])), 'float32', s());
    this.add('ent', xavierUniform([features.rows, H]));
    if (!this.gat) this.add('rel', xavierUniform([this.graph.relations, H]));
    // a branch's graph layers: RREA's attention kernels, xavier_uniform on (H, 1); or the diag GAT's
    // diagonal weight (ones) and attention vector U(±1/√(2H)) (nn/gat.ts)
    const graphParams = (branch: string) => {
      for (let l = 0; l < config.gnnLayers; l++) {
        if (!this.gat) this.add(`${branch}.k${l}`, tf.randomUniform([H], -Math.sqrt(6 / (H + 1)), Math.sqrt(6 / (H + 1)), 'float32', s()));
        else {
          this.add(`${branch}.gat${l}.w`, tf.ones([1, H]));
          this.add(`${branch}.gat${l}.a`, tf.randomUniform([1, 2 * H], -1 / Math.sqrt(2 * H), 1 / Math.sqrt(2 * H), 'float32', s()));
        }
      }
    };
    graphParams('gph');
    if (this.fused.length === 0) return; // structure only: no joint encoder (the reference's final_fusion_type -1)
    for (const m of this.fused) {
      const input = modalityInput(features, m as Exclude<Modality, 'gph'>);
      this.inputs.set(m, input);
      const bound = 1 / Math.sqrt(inputDims(input)); // nn.Linear's initialisation
      this.add(`${m}.W`, tf.randomUniform([inputDims(input), H], -bound, bound, 'float32', s()));
      this.add(`${m}.b`, tf.randomUniform([H], -bound, bound, 'float32', s()));
    }
    if (this.paradigm === 'login') graphParams('joint');
    if (this.paradigm === 'gum') for (const m of this.fused) graphParams(m);
    if (this.paradigm !== 'gam') this.add('joint.mix', tf.ones([this.fused.length])); // the early fusion's weights (softmax)
    if (this.adaptive) this.add('joint.attn', tf.randomUniform([H, 1], -1 / Math.sqrt(H), 1 / Math.sqrt(H), 'float32', s())); // Linear(H → 1), no bias
    if (this.fusion === 'lmf') {
      // LMF factors (rank, H + 1, H), xavier_normal as PyTorch computes its fans for a 3-d tensor,
      // stored as (H + 1) × (rank · H): column block ρ is factor ρ
      const std = Math.sqrt(2 / ((H + 1) * H + R * H));
      for (const m of this.fusedModalities) this.add(`joint.lmf.${m}`, tf.randomNormal([H + 1, R * H], 0, std, 'float32', s()));
      this.add('joint.lmf.w', tf.randomNormal([R], 0, Math.sqrt(2 / (1 + R)), 'float32', s()));
      this.add('joint.lmf.b', tf.zeros([H]));
    } else if (this.fusion === 'concat') {
      this.add('joint.concat.W', xavierUniform([this.fusedModalities.length * H, H]));
      this.add('joint.concat.b', tf.zeros([H]));
    }
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    const v = tf.variable(t, true, `${this.prefix}.${name}`);
    t.dispose();
    this.params.set(name, v);
    return v;
  }

  private p<T extends tf.Tensor = tf.Tensor2D>(name: string): T {
    return this.params.get(name)! as unknown as T;
  }

  /** The graph layers from input h⁰ with the parameters of `branch`: [h⁰ ‖ h¹ ‖ …] pieces. */
  private layers(h0: tf.Tensor2D, branch: string): tf.Tensor2D[] {
    const out = [h0];
    for (let l = 0; l < this.config.gnnLayers; l++) {
      const h = out.at(-1)!;
      out.push(
        this.gat
          ? (tanh(gatLayer(h, this.p(`${branch}.gat${l}.w`), this.p(`${branch}.gat${l}.a`), this.gat)) as tf.Tensor2D)
          : rreaLayer(h, this.p('rel'), this.p<tf.Tensor1D>(`${branch}.k${l}`), this.graph),
      );
    }
    return out;
  }

  /** Every entity's final embedding, [structure ‖ joint], and its parts (LoginMEA has no train-time randomness). */
  forward(): { joint: tf.Tensor2D; mods: Map<Modality, tf.Tensor2D>; attention: tf.Tensor2D | null } {
    const f = this.forwardPieces();
    const mods = new Map<Modality, tf.Tensor2D>([['gph', tf.concat(f.structure, 1) as tf.Tensor2D], ...f.encoded]);
    return { joint: this.rowsOf(f), mods, attention: f.attention };
  }

  /** The final embedding [structure ‖ early fusion ‖ joint layers] of `rows` (every row when absent),
   *  not normalised. A training step asks for its batches' rows only: the early fusion (tanh of the
   *  weighted modalities) is then computed for them alone, and no all-entities × 2,400 matrix exists. */
  rowsOf(f: LoginmeaForward, rows?: Int32Array): tf.Tensor2D {
    const at = (x: tf.Tensor2D) => (rows ? takeRows(x, rows) : x);
    const early = f.mix
      ? [
          tanh(
            tf.concat(
              f.normed.map((n, k) => tf.mul(at(n), tf.reshape(tf.slice(f.mix!, k, 1), []))),
              1,
            ),
          ) as tf.Tensor2D,
        ]
      : [];
    return tf.concat([...f.structure.map(at), ...early, ...f.joint.map(at)], 1) as tf.Tensor2D;
  }

  forwardPieces(): LoginmeaForward {
    const structure = this.layers(tanh(spmm(this.mean, this.p('ent'))), 'gph');
    const encoded = new Map<Modality, tf.Tensor2D>();
    if (this.fused.length === 0) return { structure, joint: [], normed: [], mix: null, encoded, attention: null };
    const x = this.encode();
    this.fused.forEach((m, k) => encoded.set(m, x[k]!));
    // GUM refines each modality with its own graph layers before the fusion; GAM fuses the
    // structure's last layer with the feature modalities
    const inputs = this.paradigm === 'gum' ? x.map((e, k) => this.layers(tanh(e), this.fused[k]!).at(-1)!) : this.paradigm === 'gam' ? [structure.at(-1)!, ...x] : x;
    const normed = inputs.map((e) => l2normalize(e));
    const { attention, fused } = this.fuse(inputs, normed);
    const mix = this.paradigm === 'gam' ? null : (tf.softmax(this.p<tf.Tensor1D>('joint.mix')) as tf.Tensor1D);
    const joint = this.paradigm === 'login' ? this.layers(tanh(fused), 'joint').slice(1) : [tanh(fused) as tf.Tensor2D];
    return { structure, joint, normed: mix ? normed : [], mix, encoded, attention };
  }

  /** Each feature modality's encoder output, every entity: Linear(input → H). */
  encode(): tf.Tensor2D[] {
    return this.fused.map((m) => tf.add(rowsTimes(m, this.inputs.get(m)!, this.mean.rows)(this.p(`${m}.W`), 'W'), this.p(`${m}.b`)) as tf.Tensor2D);
  }

  /** The per-entity modality attention of the fusion's inputs x: a = softmax_m(tanh(x_m) · u). */
  attention(x: tf.Tensor2D[]): tf.Tensor2D {
    return tf.softmax(
      tf.concat(
        x.map((e) => matMul(tanh(e), this.p('joint.attn'))),
        1,
      ),
      1,
    ) as tf.Tensor2D;
  }

  /** The fusion of x (its inputs) with per-entity weights a (the attention above; 1 without adaptive
   *  weights). LMF, rank R: z_m = [1 ‖ a_m n(x_m)], P_m = z_m F_m (rows × R·H),
   *  out = Σ_ρ w_ρ Π_m P_m[ρ] + b; sum: Σ_m a_m n(x_m); concat: [a_m n(x_m)]_m W + b. */
  fuse(x: tf.Tensor2D[], normed: tf.Tensor2D[]): { attention: tf.Tensor2D | null; fused: tf.Tensor2D } {
    const N = x[0]!.shape[0];
    const attention = this.adaptive ? this.attention(x) : null;
    const weighted = () => normed.map((n, k) => (attention ? (tf.mul(n, tf.slice(attention, [0, k], [N, 1])) as tf.Tensor2D) : n));
    if (this.fusion === 'sum') return { attention, fused: weighted().reduce((a, b) => tf.add(a, b)) };
    if (this.fusion === 'concat') return { attention, fused: tf.add(matMul(tf.concat(weighted(), 1) as tf.Tensor2D, this.p('joint.concat.W')), this.p('joint.concat.b')) as tf.Tensor2D };
    // the low-rank fusion weighs the modalities itself (z_m = [1 ‖ a_m n(x_m)], built inside it)
    const fused = lowRankFusion(
      normed,
      attention,
      this.fusedModalities.map((m) => this.p(`joint.lmf.${m}`)),
      this.p<tf.Tensor1D>('joint.lmf.w'),
      this.p<tf.Tensor1D>('joint.lmf.b'),
      this.config.rank,
    );
    return { attention, fused };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
