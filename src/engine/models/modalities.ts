// Which modalities a dataset can feed a model (the engine side of shared/models/modalities.ts).
import { MODALITY_ORDER, type Modality } from '../../shared/models/modalities';
import { coverageCounts, type Features } from '../features/build';
import { csrFromCoo, type Csr } from '../features/sparse';
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
  if (f.numericNames.length > 0 && both(c.numeric)) out.push('num');
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
    case 'num':
      return { kind: 'sparse', csr: numericInput(f) };
  }
}

const numericInputs = new WeakMap<Features, Csr>();

/**
 * The numbers as a sparse input (rows × 2A, A numeric attributes of both graphs): for entity i with
 * numeric triples k (attribute a_k, value v̂_k z-scored per graph and attribute), column a_k holds
 * v̂_k / n_i and column A + a_k holds 1 / n_i (n_i its triples). Times a weight matrix [Γ; Z] (2A × d)
 * this is mean_k (v̂_k γ_{a_k} + ζ_{a_k}): MPSEA's per-attribute scale and shift of each value,
 * averaged over the entity's values, as one sparse product (models.md's aggregate-first choice); other
 * models take it as their Linear encoder's input.
 */
export function numericInput(f: Features): Csr {
  let csr = numericInputs.get(f);
  if (!csr) {
    const { row, attribute, value } = f.numeric;
    const A = f.numericNames.length;
    const n = new Int32Array(f.rows);
    for (const r of row) n[r]!++;
    const K = row.length;
    const rows = new Int32Array(2 * K);
    const cols = new Int32Array(2 * K);
    const vals = new Float32Array(2 * K);
    for (let k = 0; k < K; k++) {
      const r = row[k]!;
      rows[2 * k] = rows[2 * k + 1] = r;
      cols[2 * k] = attribute[k]!;
      cols[2 * k + 1] = A + attribute[k]!;
      vals[2 * k] = value[k]! / n[r]!;
      vals[2 * k + 1] = 1 / n[r]!;
    }
    csr = csrFromCoo(f.rows, 2 * A, rows, cols, vals);
    numericInputs.set(f, csr);
  }
  return csr;
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
