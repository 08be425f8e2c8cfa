// Which modalities a dataset can feed a model (the engine side of shared/models/modalities.ts).
import { MODALITY_ORDER, type Modality } from '../../shared/models/modalities';
import { coverageCounts, type Features } from '../features/build';
import type { Csr } from '../features/sparse';
import { constMatMul, spmm, type Memo } from '../nn/ops';
import type { SparseRows } from '../runtime/layouts';
import { tf } from '../runtime/tf';

export { MODALITY_ORDER, type Modality };

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

/** The modalities of `f` a model with these `requested` ones fuses, in fusion order. */
export function presentModalities(f: Features, requested: readonly Modality[]): Modality[] {
  const avail = availableModalities(f);
  const present = MODALITY_ORDER.filter((m) => avail.includes(m) && requested.includes(m));
  if (present.length === 0) throw new Error('no modality of this dataset is selected');
  return present;
}

/** A feature modality's input matrix: sparse (bags of words, n-grams) or dense (vectors). */
export type ModalityInput = { kind: 'sparse'; csr: Csr } | { kind: 'dense'; dims: number; matrix: Float32Array };

/** The input of a feature modality (not 'gph': the structure has no input matrix). */
export function modalityInput(f: Features, m: Exclude<Modality, 'gph'>): ModalityInput {
  switch (m) {
    case 'img':
      return { kind: 'dense', dims: f.image.dims, matrix: f.image.matrix };
    case 'rel':
      return { kind: 'sparse', csr: f.relationBow };
    case 'att':
      return { kind: 'sparse', csr: f.attributeBow };
    case 'name':
      return { kind: 'sparse', csr: f.names };
    case 'word':
      return { kind: 'dense', dims: f.words.dims, matrix: f.words.matrix };
  }
}

export const inputDims = (x: ModalityInput) => (x.kind === 'sparse' ? x.csr.cols : x.dims);

/** `rows` of a modality's input times weight matrices: x_rows · W, through the sparse kernels or a
 *  dense product; `memo` keeps the products (and the gathered dense rows) for a step's second pass. */
export function rowsTimes(m: Modality, input: ModalityInput, rows: Int32Array, memo?: Memo): (w: tf.Tensor2D, key: string) => tf.Tensor2D {
  if (input.kind === 'sparse') {
    const x: SparseRows = { rows, indptr: input.csr.indptr, indices: input.csr.indices, values: input.csr.values };
    return (w, key) => spmm(x, w, memo, `${m}.${key}`);
  }
  // the rows' vectors, gathered once per step (the second pass of a step reuses them)
  let dense = memo?.get(`${m}.x`) as Float32Array | undefined;
  if (!dense) {
    const P = rows.length;
    const d = new Float32Array(P * input.dims);
    rows.forEach((r, i) => d.set(input.matrix.subarray(r * input.dims, (r + 1) * input.dims), i * input.dims));
    memo?.set(`${m}.x`, d);
    dense = d;
  }
  const xt = tf.tensor2d(dense, [rows.length, input.dims]);
  return (w, key) => constMatMul(xt, w, memo, `${m}.${key}`);
}
