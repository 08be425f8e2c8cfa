// The modality encoders of the MCLEA lineage (methods.md §0.4, §3; MCLEA and MEAformer): the diag GAT
// over a learnable entity table for the structure and one Linear(in → width) with bias per feature
// modality, PyTorch's initialisation. The draws keep the references' order: the GAT first, then each
// feature modality in the model's `present` order.
import type { Features } from '../features/build';
import { DiagGat, type AddParam, type DiagGatConfig } from '../nn/gat';
import type { Memo } from '../nn/ops';
import type { LayerNorm, Linear } from '../nn/tokens';
import { tf } from '../runtime/tf';
import { inputDims, modalityInput, rowsTimes, type Modality, type ModalityInput } from './modalities';

/** A Linear layer's parameters as PyTorch's nn.Linear initialises them: weight and bias U(±1/√in),
 *  the weight drawn first. */
export function torchLinear(add: AddParam, name: string, inDims: number, out: number, draw: () => number): Linear {
  const bound = 1 / Math.sqrt(inDims);
  return {
    W: add(`${name}.W`, tf.randomUniform([inDims, out], -bound, bound, 'float32', draw())) as unknown as tf.Tensor2D,
    b: add(`${name}.b`, tf.randomUniform([out], -bound, bound, 'float32', draw())) as unknown as tf.Tensor1D,
  };
}

/** A LayerNorm's parameters: γ ones, β zeros. */
export function layerNormParams(add: AddParam, name: string, width: number): LayerNorm {
  return { gamma: add(`${name}.gamma`, tf.ones([width])) as unknown as tf.Tensor1D, beta: add(`${name}.beta`, tf.zeros([width])) as unknown as tf.Tensor1D };
}

export class LinearEncoders {
  private readonly inputs = new Map<Modality, ModalityInput>();
  private readonly gat: DiagGat | null = null;
  private readonly linear = new Map<Modality, Linear>();

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
      this.linear.set(m, torchLinear(add, m, inputDims(input), width, draw));
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
