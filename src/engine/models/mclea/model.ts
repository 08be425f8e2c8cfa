// MCLEA's encoder (COLING 2022; methods.md §3): the diag GAT over a learnable entity table for the
// structure, one Linear(in → 100) with bias per feature modality, and global fusion weights: a
// softmax over six slots initialised to ones, of which the modalities present take theirs (the
// others still take softmax mass, as the reference's disabled name and char slots do).
import type { McleaOptions } from '../../../shared/models/mclea';
import type { Features } from '../../features/build';
import { fuse, matMul, type Memo } from '../../nn/ops';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';
import type { HeadsForward } from '../heads/step';
import { LinearEncoders } from '../encoders';
import { presentModalities, type Modality } from '../modalities';

/** The reference's six fusion slots [img, att, rel, gph, name, char]; our `word` (mean word vectors of
 *  the name) takes its name slot (GloVe of the name), our `name` (character n-grams) its char slot. */
const SLOTS: Modality[] = ['img', 'att', 'rel', 'gph', 'word', 'name'];

export type McleaConfig = Pick<McleaOptions, 'seed' | 'hidden' | 'heads' | 'gatLayers' | 'projection' | 'modalities'>;

export interface McleaForward extends HeadsForward {
  joint: tf.Tensor2D;
}

let instances = 0;

export class Mclea {
  readonly present: Modality[];
  readonly params = new Map<string, tf.Variable>();
  readonly prefix = `mclea${instances++}`;
  private readonly encoders: LinearEncoders;

  constructor(
    readonly features: Features,
    readonly config: McleaConfig,
  ) {
    this.present = presentModalities(features, config.modalities);
    const rand = mulberry32(config.seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    this.encoders = new LinearEncoders(features, this.present, config, config.projection, (name, t) => this.add(name, t), s);
    this.add('fusion.w', tf.ones([SLOTS.length]));
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    const v = tf.variable(t, true, `${this.prefix}.${name}`);
    t.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Each present modality's weight: its slot of softmax over the six slots. */
  modalityWeights(): tf.Tensor1D {
    const pi = tf.reshape(tf.softmax(this.params.get('fusion.w')!), [1, SLOTS.length]) as tf.Tensor2D;
    // a product with a constant 0/1 selection, not tf.gather (which has no gradient on wasm)
    const pick = new Float32Array(SLOTS.length * this.present.length);
    this.present.forEach((m, k) => (pick[SLOTS.indexOf(m) * this.present.length + k] = 1));
    return tf.reshape(matMul(pi, tf.tensor2d(pick, [SLOTS.length, this.present.length])), [this.present.length]) as tf.Tensor1D;
  }

  /** The embeddings of `rows` (null: every entity). MCLEA has no train-time noise: `training` and
   *  the seed do not change the result. */
  forward(rows: Int32Array | null, _training = false, _noiseSeed = 0, memo?: Memo): McleaForward {
    const mods = this.encoders.encode(rows, memo);
    const weights = this.modalityWeights();
    return { mods, weights, joint: fuse([...mods.values()], weights) };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
