// The sparse layouts the hand-written kernels take (nn/kernels.ts, native/*.cc) and the thread pool
// splits by rows: declared here, below both, so neither imports the other for a type.

/** Adjacency for one attention layer: output row i aggregates X rows indices[indptr[i]..indptr[i+1]]
 *  (its own row `self[i]` among them: the GAT's self-loop). */
export interface AggGraph {
  outputs: number;
  indptr: Int32Array;
  indices: Int32Array;
  self: Int32Array;
}

/** Sparse rows (a subset of a CSR matrix, repeats allowed) times a dense in × C matrix. */
export interface SparseRows {
  rows: Int32Array; // which rows of the CSR matrix, in output order
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}
