// Hand-written kernels over Float32Arrays for the sparse parts of the model: the GAT's attention
// aggregation over CSR adjacency and sparse-row × dense products (bag-of-words and n-gram inputs).
// Written here, not with tfjs ops, because gather/scatter on tfjs is slow on wasm/cpu (700k edges ×
// 300 dims: 5.8 s as tf.gather + scatter vs 0.56 s as a loop, environment.md) and tf.gather has no
// gradient on wasm. Each kernel has its backward pass written out; test/unit/kernels.test.ts checks
// them against numerical gradients.

/** Adjacency for one attention layer: output row i aggregates X rows indices[indptr[i]..indptr[i+1]]
 *  (its own row `self[i]` among them: the GAT's self-loop). */
export interface AggGraph {
  outputs: number;
  indptr: Int32Array;
  indices: Int32Array;
  self: Int32Array;
}

export interface GatForward {
  out: Float32Array; // outputs × D, the mean over heads
  alpha: Float32Array[]; // per head, per edge
  agg: Float32Array[]; // per head, outputs × D: Σ_j α_ij X_j (before the per-dimension scaling)
  s1: Float32Array[]; // per head, per output
  s2: Float32Array[]; // per head, per X row
}

const SLOPE = 0.2; // LeakyReLU slope of pyGAT's sparse layer

/**
 * The "diag" GAT layer of MCLEA/MEAformer/HUMEA (methods.md §0.4), all heads, mean over heads:
 * h = X ⊙ w_k; e_ij = exp(−LeakyReLU(a1_k·h_i + a2_k·h_j)); out_i = mean_k Σ_j e_ij h_j / Σ_j e_ij.
 * The per-row normalisation is done as a softmax (max subtracted), which is the same value without
 * overflow. `w` is heads × D, `a` heads × 2D (first half for the output row, second for the neighbour).
 */
export function gatForward(X: Float32Array, D: number, w: Float32Array, a: Float32Array, heads: number, g: AggGraph): GatForward {
  const rowsX = X.length / D;
  const P = g.outputs;
  const out = new Float32Array(P * D);
  const alpha: Float32Array[] = [];
  const aggs: Float32Array[] = [];
  const s1s: Float32Array[] = [];
  const s2s: Float32Array[] = [];
  const v1 = new Float32Array(D);
  const v2 = new Float32Array(D);
  const acc = new Float64Array(D);
  for (let k = 0; k < heads; k++) {
    for (let d = 0; d < D; d++) {
      v1[d] = w[k * D + d]! * a[k * 2 * D + d]!;
      v2[d] = w[k * D + d]! * a[k * 2 * D + D + d]!;
    }
    const s2 = new Float32Array(rowsX);
    for (let j = 0; j < rowsX; j++) {
      let s = 0;
      const o = j * D;
      for (let d = 0; d < D; d++) s += X[o + d]! * v2[d]!;
      s2[j] = s;
    }
    const s1 = new Float32Array(P);
    const al = new Float32Array(g.indices.length);
    const agg = new Float32Array(P * D);
    for (let i = 0; i < P; i++) {
      const o = g.self[i]! * D;
      let s = 0;
      for (let d = 0; d < D; d++) s += X[o + d]! * v1[d]!;
      s1[i] = s;
      const p0 = g.indptr[i]!;
      const p1 = g.indptr[i + 1]!;
      let max = -Infinity;
      for (let p = p0; p < p1; p++) {
        const z = s + s2[g.indices[p]!]!;
        const u = -(z > 0 ? z : SLOPE * z);
        al[p] = u;
        if (u > max) max = u;
      }
      let sum = 0;
      for (let p = p0; p < p1; p++) {
        const e = Math.exp(al[p]! - max);
        al[p] = e;
        sum += e;
      }
      acc.fill(0);
      for (let p = p0; p < p1; p++) {
        const e = al[p]! / sum;
        al[p] = e;
        const q = g.indices[p]! * D;
        for (let d = 0; d < D; d++) acc[d]! += e * X[q + d]!;
      }
      const oi = i * D;
      const wk = k * D;
      for (let d = 0; d < D; d++) {
        agg[oi + d] = acc[d]!;
        out[oi + d]! += (w[wk + d]! * acc[d]!) / heads;
      }
    }
    alpha.push(al);
    aggs.push(agg);
    s1s.push(s1);
    s2s.push(s2);
  }
  return { out, alpha, agg: aggs, s1: s1s, s2: s2s };
}

/** Gradients of gatForward's output with respect to X, w and a, given dOut (outputs × D). */
export function gatBackward(
  X: Float32Array,
  D: number,
  w: Float32Array,
  a: Float32Array,
  heads: number,
  g: AggGraph,
  f: GatForward,
  dOut: Float32Array,
): { dX: Float32Array; dw: Float32Array; da: Float32Array } {
  const rowsX = X.length / D;
  const P = g.outputs;
  const dX = new Float32Array(X.length);
  const dw = new Float32Array(w.length);
  const da = new Float32Array(a.length);
  const dagg = new Float32Array(D);
  const ds2 = new Float64Array(rowsX);
  const dv1 = new Float64Array(D);
  const dv2 = new Float64Array(D);
  for (let k = 0; k < heads; k++) {
    const wk = k * D;
    const al = f.alpha[k]!;
    const agg = f.agg[k]!;
    const s1 = f.s1[k]!;
    const s2 = f.s2[k]!;
    ds2.fill(0);
    dv1.fill(0);
    dv2.fill(0);
    for (let i = 0; i < P; i++) {
      const oi = i * D;
      // out_i += w ⊙ agg_i / heads
      let c = 0;
      for (let d = 0; d < D; d++) {
        const gi = dOut[oi + d]! / heads;
        dw[wk + d]! += gi * agg[oi + d]!;
        dagg[d] = gi * w[wk + d]!;
        c += dagg[d]! * agg[oi + d]!;
      }
      // agg_i = Σ_j α_ij X_j; α = softmax_j(u_ij), u = −LeakyReLU(s1_i + s2_j)
      const p0 = g.indptr[i]!;
      const p1 = g.indptr[i + 1]!;
      let ds1 = 0;
      for (let p = p0; p < p1; p++) {
        const j = g.indices[p]!;
        const q = j * D;
        const e = al[p]!;
        let dAlpha = 0;
        for (let d = 0; d < D; d++) {
          dAlpha += dagg[d]! * X[q + d]!;
          dX[q + d]! += e * dagg[d]!;
        }
        const z = s1[i]! + s2[j]!;
        const dz = e * (dAlpha - c) * (z > 0 ? -1 : -SLOPE);
        ds1 += dz;
        ds2[j]! += dz;
      }
      // s1_i = X_self · v1
      const o = g.self[i]! * D;
      const v1base = k * 2 * D;
      for (let d = 0; d < D; d++) {
        const v1 = w[wk + d]! * a[v1base + d]!;
        dX[o + d]! += ds1 * v1;
        dv1[d]! += ds1 * X[o + d]!;
      }
    }
    // s2_j = X_j · v2
    const v2base = k * 2 * D + D;
    for (let j = 0; j < rowsX; j++) {
      const s = ds2[j]!;
      if (s === 0) continue;
      const q = j * D;
      for (let d = 0; d < D; d++) {
        dX[q + d]! += s * w[wk + d]! * a[v2base + d]!;
        dv2[d]! += s * X[q + d]!;
      }
    }
    for (let d = 0; d < D; d++) {
      dw[wk + d]! += dv1[d]! * a[k * 2 * D + d]! + dv2[d]! * a[v2base + d]!;
      da[k * 2 * D + d] = dv1[d]! * w[wk + d]!;
      da[v2base + d] = dv2[d]! * w[wk + d]!;
    }
  }
  return { dX, dw, da };
}

/** Sparse rows (a subset of a CSR matrix, repeats allowed) times a dense in × C matrix. */
export interface SparseRows {
  rows: Int32Array; // which rows of the CSR matrix, in output order
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export function spmmForward(x: SparseRows, W: Float32Array, C: number): Float32Array {
  const P = x.rows.length;
  const out = new Float32Array(P * C);
  for (let i = 0; i < P; i++) {
    const r = x.rows[i]!;
    const o = i * C;
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const q = x.indices[p]! * C;
      for (let c = 0; c < C; c++) out[o + c]! += v * W[q + c]!;
    }
  }
  return out;
}

/** dW = xᵀ · dOut. */
export function spmmBackward(x: SparseRows, dOut: Float32Array, inDims: number, C: number): Float32Array {
  const dW = new Float32Array(inDims * C);
  const P = x.rows.length;
  for (let i = 0; i < P; i++) {
    const r = x.rows[i]!;
    const o = i * C;
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const q = x.indices[p]! * C;
      for (let c = 0; c < C; c++) dW[q + c]! += v * dOut[o + c]!;
    }
  }
  return dW;
}
