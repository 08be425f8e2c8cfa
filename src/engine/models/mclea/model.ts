// MCLEA's encoder (COLING 2022; methods.md §3): the diag GAT over a learnable entity table for the
// structure, one Linear(in → 100) with bias per feature modality, and global fusion weights: a
// softmax over six slots initialised to ones, of which the modalities present take theirs (the
// others still take softmax mass, as the reference's disabled name and char slots do).
import type { McleaOptions } from '../../../shared/models/mclea';
import type { Features } from '../../features/build';
import { DiagGat } from '../../nn/gat';
import { fuse, matMul, type Memo } from '../../nn/ops';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';
import type { HeadsForward } from '../heads/step';
import { inputDims, modalityInput, presentModalities, rowsTimes, type Modality, type ModalityInput } from '../modalities';

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
  private readonly inputs = new Map<Modality, ModalityInput>();
  private readonly gat: DiagGat | null = null;

  constructor(
    readonly features: Features,
    readonly config: McleaConfig,
  ) {
    this.present = presentModalities(features, config.modalities);
    const rand = mulberry32(config.seed);
    const s = () => Math.floor(rand() * 2 ** 31);
    if (this.present.includes('gph')) this.gat = new DiagGat(features, config, (name, t) => this.add(name, t), s);
    for (const m of this.present) {
      if (m === 'gph') continue;
      const input = modalityInput(features, m);
      this.inputs.set(m, input);
      // PyTorch's nn.Linear initialisation: weight and bias U(±1/√in)
      const bound = 1 / Math.sqrt(inputDims(input));
      this.add(`${m}.W`, tf.randomUniform([inputDims(input), config.projection], -bound, bound, 'float32', s()));
      this.add(`${m}.b`, tf.randomUniform([config.projection], -bound, bound, 'float32', s()));
    }
    this.add('fusion.w', tf.ones([SLOTS.length]));
  }

  private add(name: string, t: tf.Tensor): tf.Variable {
    const v = tf.variable(t, true, `${this.prefix}.${name}`);
    t.dispose();
    this.params.set(name, v);
    return v;
  }

  private p(name: string): tf.Tensor2D {
    return this.params.get(name)! as unknown as tf.Tensor2D;
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
    const all = rows ?? Int32Array.from({ length: this.features.rows }, (_, i) => i);
    const mods = new Map<Modality, tf.Tensor2D>();
    for (const m of this.present) {
      if (m === 'gph') mods.set(m, this.gat!.forward(rows, memo));
      else mods.set(m, tf.add(rowsTimes(m, this.inputs.get(m)!, all, memo)(this.p(`${m}.W`), 'W'), this.p(`${m}.b`)));
    }
    const weights = this.modalityWeights();
    return { mods, weights, joint: fuse([...mods.values()], weights) };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
