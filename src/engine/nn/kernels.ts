// Hand-written kernels over Float32Arrays for the sparse parts of the model: the GAT's attention
// aggregation over CSR adjacency and sparse-row × dense products (bag-of-words and n-gram inputs).
// Written here, not with tfjs ops, because gather/scatter on tfjs is slow on wasm/cpu (700k edges ×
// 300 dims: 5.8 s as tf.gather + scatter vs 0.56 s as a loop, environment.md) and tf.gather has no
// gradient on wasm. Each kernel has its backward pass written out; test/unit/kernels.test.ts checks
// them against numerical gradients. The GAT layer's rows are split between threads by pool.ts.
import { nativeDense, nativeKernels } from '../runtime/native';
import type { AggGraph, SparseRows } from '../runtime/layouts';
import { addInto, parallelRows, sharedF32, sharedF64, splitRows } from '../runtime/pool';

export type { AggGraph, SparseRows };

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
/** The layer over `g`; `wLeft`: the node's own diagonal weight in its attention scalar s1, apart from
 *  the neighbours' `w` (MPSEA's multi-weight GAT: W_i h_i ‖ W_j h_j, Eq. 1); absent, `w` for both. */
export function gatForward(X: Float32Array, D: number, w: Float32Array, a: Float32Array, heads: number, g: AggGraph, wLeft: Float32Array = w): GatForward {
  const rowsX = X.length / D;
  const P = g.outputs;
  const E = g.indices.length;
  // with a kernel pool (pool.ts) the arrays live in shared memory and the rows are split between
  // threads; each output row is computed the same way whichever thread computes it
  const f: GatForward = {
    out: sharedF32(P * D),
    alpha: Array.from({ length: heads }, () => sharedF32(E)),
    agg: Array.from({ length: heads }, () => sharedF32(P * D)),
    s1: Array.from({ length: heads }, () => sharedF32(P)),
    s2: Array.from({ length: heads }, () => sharedF32(rowsX)),
  };
  // per-node attention scalars: s1_i = X_i·(w ⊙ a1), s2_j = X_j·(w ⊙ a2) (methods.md §0.4's note;
  // wLeft in s1 for the multi-weight layer)
  for (let k = 0; k < heads; k++) {
    const v1 = new Float32Array(D);
    const v2 = new Float32Array(D);
    for (let d = 0; d < D; d++) {
      v1[d] = wLeft[k * D + d]! * a[k * 2 * D + d]!;
      v2[d] = w[k * D + d]! * a[k * 2 * D + D + d]!;
    }
    const s2 = f.s2[k]!;
    for (let j = 0; j < rowsX; j++) {
      let s = 0;
      const o = j * D;
      for (let d = 0; d < D; d++) s += X[o + d]! * v2[d]!;
      s2[j] = s;
    }
    const s1 = f.s1[k]!;
    for (let i = 0; i < P; i++) {
      let s = 0;
      const o = g.self[i]! * D;
      for (let d = 0; d < D; d++) s += X[o + d]! * v1[d]!;
      s1[i] = s;
    }
  }
  parallelRows(g, 'gatForwardRows', { X, D, w, heads, g, f }, (i0, i1) => gatForwardRows({ X, D, w, heads, g, f }, i0, i1));
  return f;
}

export interface GatForwardTask {
  X: Float32Array;
  D: number;
  w: Float32Array;
  heads: number;
  g: AggGraph;
  f: GatForward;
}

/** Output rows i0..i1-1 of gatForward (attention softmax, aggregation, mean over heads) into `t.f`:
 *  the native kernel when it is built, else the TypeScript below (the same arithmetic). */
export function gatForwardRows(t: GatForwardTask, i0: number, i1: number): void {
  const native = nativeKernels();
  if (native) native.gatForwardRows(t, i0, i1);
  else gatForwardRowsTs(t, i0, i1);
}

export function gatForwardRowsTs(t: GatForwardTask, i0: number, i1: number): void {
  const { X, D, w, heads, g } = t;
  const { out, alpha, agg: aggs, s1: s1s, s2: s2s } = t.f;
  const acc = new Float64Array(heads * D);
  const e = new Float64Array(heads);
  for (let i = i0; i < i1; i++) {
    const p0 = g.indptr[i]!;
    const p1 = g.indptr[i + 1]!;
    for (let k = 0; k < heads; k++) {
      const al = alpha[k]!;
      const s = s1s[k]![i]!;
      const s2 = s2s[k]!;
      let max = -Infinity;
      for (let p = p0; p < p1; p++) {
        const z = s + s2[g.indices[p]!]!;
        const u = -(z > 0 ? z : SLOPE * z);
        al[p] = u;
        if (u > max) max = u;
      }
      let sum = 0;
      for (let p = p0; p < p1; p++) {
        const x = Math.exp(al[p]! - max);
        al[p] = x;
        sum += x;
      }
      for (let p = p0; p < p1; p++) al[p] = al[p]! / sum;
    }
    // one pass over the neighbours for all heads: each X row is read once (the loop is memory-bound)
    acc.fill(0);
    if (heads === 2) {
      const a0 = alpha[0]!;
      const a1 = alpha[1]!;
      for (let p = p0; p < p1; p++) {
        const q = g.indices[p]! * D;
        const e0 = a0[p]!;
        const e1 = a1[p]!;
        for (let d = 0; d < D; d++) {
          const x = X[q + d]!;
          acc[d]! += e0 * x;
          acc[D + d]! += e1 * x;
        }
      }
    } else {
      for (let p = p0; p < p1; p++) {
        const q = g.indices[p]! * D;
        for (let k = 0; k < heads; k++) e[k] = alpha[k]![p]!;
        for (let d = 0; d < D; d++) {
          const x = X[q + d]!;
          for (let k = 0; k < heads; k++) acc[k * D + d]! += e[k]! * x;
        }
      }
    }
    const oi = i * D;
    for (let k = 0; k < heads; k++) {
      const agg = aggs[k]!;
      for (let d = 0; d < D; d++) {
        const v = acc[k * D + d]!;
        agg[oi + d] = v;
        out[oi + d]! += (w[k * D + d]! * v) / heads;
      }
    }
  }
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
  wLeft: Float32Array = w,
): { dX: Float32Array; dw: Float32Array; da: Float32Array; dwLeft: Float32Array | null } {
  const rowsX = X.length / D;
  const separate = wLeft !== w;
  const acc: GatBackwardSums = {
    dX: new Float32Array(X.length),
    dw: new Float32Array(w.length),
    ds2: Array.from({ length: heads }, () => new Float64Array(rowsX)),
    dv1: Array.from({ length: heads }, () => new Float64Array(D)),
  };
  const task: GatBackwardTask = { X, D, w, w1: wLeft, a, heads, g, f, dOut, acc };
  // with a kernel pool, each other thread sums its rows' contributions into sums of its own, added
  // to the first thread's in thread order (so a run is deterministic for a given thread count)
  parallelRows(
    g,
    'gatBackwardRows',
    { X, D, w, w1: wLeft, a, heads, g, f, dOut },
    (i0, i1) => gatBackwardRows(task, i0, i1),
    () => ({
      dX: sharedF32(X.length),
      dw: sharedF32(w.length),
      ds2: Array.from({ length: heads }, () => sharedF64(rowsX)),
      dv1: Array.from({ length: heads }, () => sharedF64(D)),
    }),
    (part) => {
      addInto(acc.dX, part.dX);
      addInto(acc.dw, part.dw);
      for (let k = 0; k < heads; k++) {
        addInto(acc.ds2[k]!, part.ds2[k]!);
        addInto(acc.dv1[k]!, part.dv1[k]!);
      }
    },
  );
  const { dX, dw } = acc;
  const da = new Float32Array(a.length);
  const dwLeft = separate ? new Float32Array(wLeft.length) : null;
  for (let k = 0; k < heads; k++) {
    // s2_k,j = X_j · (w_k ⊙ a2_k)
    const base1 = k * 2 * D;
    const base2 = base1 + D;
    const dv2 = new Float64Array(D);
    const ds = acc.ds2[k]!;
    for (let j = 0; j < rowsX; j++) {
      const s = ds[j]!;
      if (s === 0) continue;
      const q = j * D;
      for (let d = 0; d < D; d++) {
        dX[q + d]! += s * w[k * D + d]! * a[base2 + d]!;
        dv2[d]! += s * X[q + d]!;
      }
    }
    const dv = acc.dv1[k]!;
    for (let d = 0; d < D; d++) {
      // s1's share goes to the left weight (the same array as w unless the layer is multi-weight)
      (dwLeft ?? dw)[k * D + d]! += dv[d]! * a[base1 + d]!;
      dw[k * D + d]! += dv2[d]! * a[base2 + d]!;
      da[base1 + d] = dv[d]! * wLeft[k * D + d]!;
      da[base2 + d] = dv2[d]! * w[k * D + d]!;
    }
  }
  return { dX, dw, da, dwLeft };
}

/** What gatBackward's row pass sums over output rows. */
export interface GatBackwardSums {
  dX: Float32Array;
  dw: Float32Array;
  ds2: Float64Array[]; // per head, per X row
  dv1: Float64Array[]; // per head, D
}

export interface GatBackwardTask {
  X: Float32Array;
  D: number;
  w: Float32Array;
  /** the left weight of s1 (w itself but in MPSEA's multi-weight layer) */
  w1: Float32Array;
  a: Float32Array;
  heads: number;
  g: AggGraph;
  f: GatForward;
  dOut: Float32Array;
  acc: GatBackwardSums;
}

/** Output rows i0..i1-1 of gatBackward's pass over the rows, summed into `t.acc` (native kernel
 *  when built, else the TypeScript below). */
export function gatBackwardRows(t: GatBackwardTask, i0: number, i1: number): void {
  const native = nativeKernels();
  if (native) native.gatBackwardRows(t, i0, i1);
  else gatBackwardRowsTs(t, i0, i1);
}

export function gatBackwardRowsTs(t: GatBackwardTask, i0: number, i1: number): void {
  const { X, D, w, w1, a, heads, g, f, dOut } = t;
  const { dX, dw, ds2, dv1 } = t.acc;
  const dagg = new Float64Array(heads * D);
  const c = new Float64Array(heads);
  const dAlpha = new Float64Array(heads);
  const ds1 = new Float64Array(heads);
  for (let i = i0; i < i1; i++) {
    const oi = i * D;
    // out_i += w_k ⊙ agg_k,i / heads
    for (let k = 0; k < heads; k++) {
      const agg = f.agg[k]!;
      let ck = 0;
      for (let d = 0; d < D; d++) {
        const gi = dOut[oi + d]! / heads;
        dw[k * D + d]! += gi * agg[oi + d]!;
        const v = gi * w[k * D + d]!;
        dagg[k * D + d] = v;
        ck += v * agg[oi + d]!;
      }
      c[k] = ck;
      ds1[k] = 0;
    }
    // agg_k,i = Σ_j α_kij X_j; α = softmax_j(u), u = −LeakyReLU(s1_i + s2_j): one pass over the
    // neighbours for all heads (dα needs dagg·X_j, dX_j gets α·dagg)
    const p0 = g.indptr[i]!;
    const p1 = g.indptr[i + 1]!;
    for (let p = p0; p < p1; p++) {
      const j = g.indices[p]!;
      const q = j * D;
      if (heads === 2) {
        const e0 = f.alpha[0]![p]!;
        const e1 = f.alpha[1]![p]!;
        let d0 = 0;
        let d1 = 0;
        for (let d = 0; d < D; d++) {
          const x = X[q + d]!;
          const g0 = dagg[d]!;
          const g1 = dagg[D + d]!;
          d0 += g0 * x;
          d1 += g1 * x;
          dX[q + d]! += e0 * g0 + e1 * g1;
        }
        dAlpha[0] = d0;
        dAlpha[1] = d1;
      } else {
        dAlpha.fill(0);
        for (let d = 0; d < D; d++) {
          const x = X[q + d]!;
          let acc = 0;
          for (let k = 0; k < heads; k++) {
            dAlpha[k]! += dagg[k * D + d]! * x;
            acc += f.alpha[k]![p]! * dagg[k * D + d]!;
          }
          dX[q + d]! += acc;
        }
      }
      for (let k = 0; k < heads; k++) {
        const e = f.alpha[k]![p]!;
        const z = f.s1[k]![i]! + f.s2[k]![j]!;
        const dz = e * (dAlpha[k]! - c[k]!) * (z > 0 ? -1 : -SLOPE);
        ds1[k]! += dz;
        ds2[k]![j]! += dz;
      }
    }
    // s1_k,i = X_self · (w1_k ⊙ a1_k)
    const o = g.self[i]! * D;
    for (let k = 0; k < heads; k++) {
      const s = ds1[k]!;
      if (s === 0) continue;
      const dv = dv1[k]!;
      for (let d = 0; d < D; d++) {
        dX[o + d]! += s * w1[k * D + d]! * a[k * 2 * D + d]!;
        dv[d]! += s * X[o + d]!;
      }
    }
  }
}

/** x · W: natively (native/dense.cc) with the rows split over the kernel threads when the addon is
 *  built, else the TypeScript loop below (the same sums; the native one may fuse multiply-adds). */
export function spmmForward(x: SparseRows, W: Float32Array, C: number): Float32Array {
  const dense = nativeDense();
  if (dense) {
    const out = sharedF32(x.rows.length * C);
    const task = { ...x, W, C, out };
    splitRows(x.rows.length, 512, 'spmmRows', task, (i0, i1) => dense.spmmRows(task, i0, i1));
    return out;
  }
  return spmmForwardTs(x, W, C);
}

export function spmmForwardTs(x: SparseRows, W: Float32Array, C: number): Float32Array {
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
  const dense = nativeDense();
  if (dense) {
    dense.spmmBack({ ...x, dOut, C, dW });
    return dW;
  }
  return spmmBackwardTs(x, dOut, inDims, C);
}

export function spmmBackwardTs(x: SparseRows, dOut: Float32Array, inDims: number, C: number): Float32Array {
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
