// MPSEA's encoder (the paper's §3.2–3.4; ../shared/docs/models.md "MPSEA"; README.md here): the
// multi-weight GAT for the structure and one Linear per feature modality (../encoders.ts), the numbers
// through DNEF's feed-forward after their per-attribute scale-and-shift mean (the `num` input), then
// one pre-synergistic fusion layer (mmpf.ts) whose attention gives Eq. 9's per-entity weights; the
// late joint ⊕ w_m n(x̃^m) of the fusion's outputs (the early joint, of the encoders', enters no loss
// as the paper writes it and is not evaluated: not computed).
import type { MpseaOptions } from '../../../shared/models/mpsea';
import type { Features } from '../../features/build';
import { fuseRows } from '../../nn/ops';
import { linear, type Linear } from '../../nn/tokens';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';
import { byRowChunks } from '../embeddings';
import { layerNormParams, LinearEncoders, torchLinear } from '../encoders';
import { presentModalities, type Modality } from '../modalities';
import { mmpfLayer, type MmpfParams } from './mmpf';

export type MpseaConfig = Pick<MpseaOptions, 'seed' | 'hidden' | 'heads' | 'gatLayers' | 'modalities' | 'tokenHeads' | 'intermediate' | 'dropout' | 'multiWeight' | 'mmpf'>;

export interface MpseaForward {
  /** each present modality's encoder output x^m (rows × hidden), in `present` order */
  mods: Map<Modality, tf.Tensor2D>;
  /** the fusion's outputs x̃^m, in `present` order */
  late: Map<Modality, tf.Tensor2D>;
  /** rows × modalities: Eq. 9's per-entity weights */
  weights: tf.Tensor2D;
  joint: tf.Tensor2D;
}

let instances = 0;

export class Mpsea {
  readonly present: Modality[];
  readonly params = new Map<string, tf.Variable>();
  readonly prefix = `mpsea${instances++}`;
  private readonly encoders: LinearEncoders;
  private readonly numbers: { inner: Linear; outer: Linear } | null = null;
  private readonly fusion: MmpfParams;

  constructor(
    readonly features: Features,
    readonly config: MpseaConfig,
  ) {
    this.present = presentModalities(features, config.modalities);
    const H = config.hidden;
    const rand = mulberry32(config.seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    const add = (name: string, t: tf.Tensor) => {
      const v = tf.variable(t, true, `${this.prefix}.${name}`);
      t.dispose();
      this.params.set(name, v);
      return v;
    };
    const lin = (name: string, inDims: number, out: number) => torchLinear(add, name, inDims, out, s);
    // the fusion layer as BERT initialises its own: weights N(0, 0.02²), biases 0 — PyTorch's uniform
    // biases (±0.058) swamped the structure's embedding (~0.006 at start) before the LayerNorm, and
    // the late joint carried no structure early on (12 epochs: test H@1 .008, .137 with this; docs/benchmarks.md)
    const bert = (name: string, inDims: number, out: number): Linear => ({
      W: add(`${name}.W`, tf.randomNormal([inDims, out], 0, 0.02, 'float32', s())) as unknown as tf.Tensor2D,
      b: add(`${name}.b`, tf.zeros([out])) as unknown as tf.Tensor1D,
    });
    const norm = (name: string) => layerNormParams(add, name, H);
    this.encoders = new LinearEncoders(features, this.present, config, H, add, s);
    if (this.present.includes('num')) this.numbers = { inner: lin('num.ffn.inner', H, H), outer: lin('num.ffn.outer', H, H) };
    this.fusion = {
      projections: new Map(this.present.map((m) => [m, { query: bert(`mmpf.${m}.query`, H, H), key: bert(`mmpf.${m}.key`, H, H), value: bert(`mmpf.${m}.value`, H, H) }])),
      output: bert('mmpf.output', H, H),
      norm: norm('mmpf.norm'),
      ffn: { inner: bert('mmpf.inner', H, config.intermediate), outer: bert('mmpf.outer', config.intermediate, H), norm: norm('mmpf.ffnNorm') },
      lambda: new Map((['gph', 'img'] as const).filter((m) => this.present.includes(m)).map((m) => [m, add(`mmpf.lambda.${m}`, tf.ones([1])) as unknown as tf.Tensor1D])),
    };
  }

  /** The forward of `rows` (null: every entity); `dropoutSeed` null: evaluation mode. */
  forward(rows: Int32Array | null, dropoutSeed: number | null = null): MpseaForward {
    return this.fuse(this.encode(rows), dropoutSeed);
  }

  /** Every entity in evaluation mode: the encoders once, the fusion by chunks of rows (each chunk's
   *  intermediates freed before the next). */
  forwardAll(chunk = 4096): MpseaForward {
    const mods = this.encode(null);
    const [joint, weights, ...late] = byRowChunks(mods, chunk, (slice) => {
      const f = this.fuse(slice, null);
      return [f.joint, f.weights, ...this.present.map((m) => f.late.get(m)!)];
    });
    return { mods, joint: joint!, weights: weights!, late: new Map(this.present.map((m, k) => [m, late[k]!])) };
  }

  /** The encoders' outputs x^m of `rows` (null: every entity), the numbers through DNEF's
   *  feed-forward (ReLU between its layers) after their scale-and-shift mean. */
  private encode(rows: Int32Array | null): Map<Modality, tf.Tensor2D> {
    const mods = this.encoders.encode(rows);
    if (this.numbers) mods.set('num', linear(tf.relu(linear(mods.get('num')!, this.numbers.inner)) as tf.Tensor2D, this.numbers.outer));
    return mods;
  }

  /** The fusion layer, Eq. 9's weights and both joints over the encoders' outputs. */
  private fuse(mods: Map<Modality, tf.Tensor2D>, dropoutSeed: number | null): MpseaForward {
    const m = this.config.mmpf;
    const { tokens: late, weights } = mmpfLayer(mods, this.fusion, {
      heads: this.config.tokenHeads,
      dropout: this.config.dropout,
      seed: dropoutSeed,
      prefixes: m === 'full' ? ['gph', 'img'] : m === 'no-gph' ? ['img'] : m === 'no-img' ? ['gph'] : [],
      plain: m === 'off',
    });
    return {
      mods,
      late,
      weights,
      joint: fuseRows(
        this.present.map((mod) => late.get(mod)!),
        weights,
      ),
    };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
