// The modality encoders of the MCLEA lineage (methods.md §0.4, §3; MCLEA and MEAformer): the diag GAT
// over a learnable entity table for the structure and one Linear(in → width) with bias per feature
// modality, PyTorch's initialisation. The draws keep the references' order: the GAT first, then each
// feature modality in the model's `present` order.
import type { Features } from '../features/build';
import { DiagGat, type AddParam, type DiagGatConfig } from '../nn/gat';
import type { Memo } from '../nn/ops';
import { tf } from '../runtime/tf';
import { inputDims, modalityInput, rowsTimes, type Modality, type ModalityInput } from './modalities';

export class LinearEncoders {
  private readonly inputs = new Map<Modality, ModalityInput>();
  private readonly gat: DiagGat | null = null;
  private readonly linear = new Map<Modality, { W: tf.Tensor2D; b: tf.Tensor1D }>();

  /** `add`: the model's own parameter registry (names are checkpoint keys: `${m}.W`, `${m}.b`, the
   *  GAT's); `draw()`: the model's next seed. */
  constructor(
    readonly features: Features,
    readonly present: Modality[],
    gat: DiagGatConfig,
    width: number,
    add: AddParam,
    draw: () => number,
  ) {
    if (present.includes('gph')) this.gat = new DiagGat(features, gat, add, draw);
    for (const m of present) {
      if (m === 'gph') continue;
      const input = modalityInput(features, m);
      this.inputs.set(m, input);
      // PyTorch's nn.Linear initialisation: weight and bias U(±1/√in)
      const bound = 1 / Math.sqrt(inputDims(input));
      const W = add(`${m}.W`, tf.randomUniform([inputDims(input), width], -bound, bound, 'float32', draw())) as unknown as tf.Tensor2D;
      const b = add(`${m}.b`, tf.randomUniform([width], -bound, bound, 'float32', draw())) as unknown as tf.Tensor1D;
      this.linear.set(m, { W, b });
    }
  }

  /** Each present modality's embedding of `rows` (null: every entity), in `present` order; `memo`
   *  keeps the graph's and the sparse products for a step's second pass. */
  encode(rows: Int32Array | null, memo?: Memo): Map<Modality, tf.Tensor2D> {
    const all = rows ?? Int32Array.from({ length: this.features.rows }, (_, i) => i);
    const mods = new Map<Modality, tf.Tensor2D>();
    for (const m of this.present) {
      if (m === 'gph') mods.set(m, this.gat!.forward(rows, memo));
      else {
        const { W, b } = this.linear.get(m)!;
        mods.set(m, tf.add(rowsTimes(m, this.inputs.get(m)!, all, memo)(W, 'W'), b));
      }
    }
    return mods;
  }
}
