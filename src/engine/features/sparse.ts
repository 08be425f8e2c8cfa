// Compressed sparse rows: the form of every bag-of-words and n-gram feature (most entities have a
// handful of non-zeros out of 1000+ columns, so dense matrices would waste memory and FLOPs).
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array; // rows + 1
  indices: Int32Array;
  values: Float32Array;
}

/** Builds a CSR matrix from (row, col, value) triples; duplicates are summed, columns sorted. */
export function csrFromCoo(rows: number, cols: number, r: ArrayLike<number>, c: ArrayLike<number>, v: ArrayLike<number> | number): Csr {
  const n = r.length;
  const count = new Int32Array(rows + 1);
  for (let k = 0; k < n; k++) count[r[k]! + 1]!++;
  for (let i = 0; i < rows; i++) count[i + 1]! += count[i]!;
  const fill = count.slice(0, rows);
  const idx = new Int32Array(n);
  const val = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const p = fill[r[k]!]!++;
    idx[p] = c[k]!;
    val[p] = typeof v === 'number' ? v : v[k]!;
  }
  // sort each row by column and merge duplicates
  const indptr = new Int32Array(rows + 1);
  const outIdx: number[] = [];
  const outVal: number[] = [];
  for (let i = 0; i < rows; i++) {
    const a = count[i]!;
    const b = count[i + 1]!;
    const order = Array.from({ length: b - a }, (_, k) => a + k).sort((x, y) => idx[x]! - idx[y]!);
    let last = -1;
    for (const p of order) {
      if (idx[p] === last) outVal[outVal.length - 1]! += val[p]!;
      else {
        outIdx.push(idx[p]!);
        outVal.push(val[p]!);
        last = idx[p]!;
      }
    }
    indptr[i + 1] = outIdx.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(outIdx), values: Float32Array.from(outVal) };
}

/** 1 for every row with at least one non-zero. */
export function rowMask(m: Csr): Uint8Array {
  const mask = new Uint8Array(m.rows);
  for (let i = 0; i < m.rows; i++) mask[i] = m.indptr[i + 1]! > m.indptr[i]! ? 1 : 0;
  return mask;
}
