// MEAformer's encoder (ACM MM 2023; methods.md §2; reference zjukg/MEAformer model/MEAformer_tools.py
// MultiModalEncoder, MformerFusion): the diag GAT over a learnable entity table for the structure, one
// Linear(in → hidden) with bias per feature modality, and the modality transformer (nn/tokens.ts) over
// each entity's modality tokens. Its attention gives per-entity modality weights; the joint is the
// concatenation of w_{i,m} · n(e_m) of the *pre*-transformer embeddings; the transformer's output
// tokens feed only the auxiliary ICL.
import type { MeaformerOptions } from '../../../shared/models/meaformer';
import type { Features } from '../../features/build';
import { fuseRows } from '../../nn/ops';
import { receivedWeights, tokenLayer, type TokenLayerParams } from '../../nn/tokens';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';
import { byRowChunks } from '../embeddings';
import { layerNormParams, LinearEncoders, torchLinear } from '../encoders';
import { presentModalities, type Modality } from '../modalities';

/** The reference's token order [img, att, rel, gph, name, char]: our `word` (mean word vectors of the
 *  name) stands for its name (GloVe), our `name` (character n-grams) for its char. */
export const TOKEN_ORDER: Modality[] = ['img', 'att', 'rel', 'gph', 'word', 'name'];

export type MeaformerConfig = Pick<MeaformerOptions, 'seed' | 'hidden' | 'heads' | 'gatLayers' | 'modalities' | 'tokenHeads' | 'tokenLayers' | 'ffn' | 'intermediate' | 'dropout' | 'weighting'>;

export interface MeaformerForward {
  /** each present modality's embedding before the transformer (rows × hidden), in token order */
  mods: Map<Modality, tf.Tensor2D>;
  /** the transformer's output tokens, in token order */
  hidden: tf.Tensor2D[];
  /** rows × tokens: each entity's modality weights (per-entity, or the global ones repeated) */
  weights: tf.Tensor2D;
  /** ⊕_m w_{i,m} · n(e_m) (rows × tokens·hidden) */
  joint: tf.Tensor2D;
}

let instances = 0;

export class Meaformer {
  /** the present modalities in token (fusion) order */
  readonly present: Modality[];
  readonly params = new Map<string, tf.Variable>();
  readonly prefix = `meaformer${instances++}`;
  private readonly encoders: LinearEncoders;
  private readonly layers: TokenLayerParams[];

  constructor(
    readonly features: Features,
    readonly config: MeaformerConfig,
  ) {
    const present = presentModalities(features, config.modalities);
    this.present = TOKEN_ORDER.filter((m) => present.includes(m));
    const H = config.hidden;
    const rand = mulberry32(config.seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    const add = (name: string, t: tf.Tensor) => this.add(name, t);
    const linear = (name: string, inDims: number, out: number) => torchLinear(add, name, inDims, out, s);
    const norm = (name: string) => layerNormParams(add, name, H);
    this.encoders = new LinearEncoders(features, this.present, config, H, add, s);
    this.layers = Array.from({ length: config.tokenLayers }, (_, l) => ({
      query: linear(`tf${l}.query`, H, H),
      key: linear(`tf${l}.key`, H, H),
      value: linear(`tf${l}.value`, H, H),
      output: linear(`tf${l}.output`, H, H),
      norm: norm(`tf${l}.norm`),
      ...(config.ffn && { ffn: { inner: linear(`tf${l}.inner`, H, config.intermediate), outer: linear(`tf${l}.outer`, config.intermediate, H), norm: norm(`tf${l}.ffnNorm`) } }),
    }));
    // the ablation "global weights": one learned weight per modality (ones, softmax), as MCLEA's
    if (config.weighting === 'global') this.add('fusion.w', tf.ones([this.present.length]));
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    const v = tf.variable(t, true, `${this.prefix}.${name}`);
    t.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Each present modality's embedding of `rows` (null: every entity), before the transformer. */
  encode(rows: Int32Array | null): Map<Modality, tf.Tensor2D> {
    return this.encoders.encode(rows);
  }

  /** The forward of `rows` (null: every entity); `dropoutSeed` null: evaluation mode. */
  forward(rows: Int32Array | null, dropoutSeed: number | null = null): MeaformerForward {
    return this.fuse(this.encode(rows), dropoutSeed);
  }

  /** Every entity in evaluation mode: the encoders once, the transformer and the joint by chunks of
   *  rows, each chunk's intermediates freed before the next (all at once, the transformer's
   *  intermediates over 27,793 entities held gigabytes). */
  forwardAll(chunk = 4096): MeaformerForward {
    const mods = this.encode(null);
    const [joint, weights, ...hidden] = byRowChunks(mods, chunk, (slice) => {
      const f = this.fuse(slice, null);
      return [f.joint, f.weights, ...f.hidden];
    });
    return { mods, joint: joint!, weights: weights!, hidden };
  }

  /** The transformer over the modality embeddings, the weights and the joint. */
  private fuse(mods: Map<Modality, tf.Tensor2D>, dropoutSeed: number | null): MeaformerForward {
    let tokens = [...mods.values()];
    let probs: tf.Tensor2D[][] = [];
    const draw = dropoutSeed === null ? null : mulberry32(dropoutSeed);
    for (const layer of this.layers) {
      const out = tokenLayer(tokens, layer, { heads: this.config.tokenHeads, dropout: this.config.dropout, seed: draw && Math.floor(draw() * 2 ** 31) });
      tokens = out.tokens;
      probs = out.probs;
    }
    // the reference reads the weights off the last layer's attention
    const n = tokens[0]!.shape[0];
    const weights = this.config.weighting === 'global' ? (tf.tile(tf.reshape(tf.softmax(this.params.get('fusion.w')!), [1, this.present.length]), [n, 1]) as tf.Tensor2D) : receivedWeights(probs);
    return { mods, hidden: tokens, weights, joint: fuseRows([...mods.values()], weights) };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
