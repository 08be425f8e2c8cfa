// The relational-reflection graph attention layer (RREA, as LoginMEA uses it: methods.md §4,
// models.md): for node i over its edges i ← j (no self-loops), each edge carrying the set of relations
// between i and j,
//   r_c   = normalise(Σ_{k ∈ set c} Rel_k)              (per distinct relation set, not per edge)
//   m_e   = h_j − 2 (h_j · r_c) r_c                      (h_j reflected in the hyperplane of r_c)
//   α_e   = softmax over i's edges of r_c · k            (attention depends on the relation only)
//   out_i = tanh(Σ_e α_e m_e)
// Written as loops over Float32Arrays, with the backward pass written out (to H, the relation table
// and k), because no edges × d tensor may exist: FB15K-DB15K has 646,806 directed edges but only
// ~10,300 distinct relation sets, so the set vectors are computed once per pass and indexed.
// test/unit/rrea.test.ts checks both passes against plain tfjs ops and finite differences.
import type { TripleCsr } from '../data/csr';
import type { AggGraph } from '../runtime/layouts';
import { nativeKernels } from '../runtime/native';
import { addInto, parallelRows, sharedF32, sharedF64 } from '../runtime/pool';

/** Edges by destination, each with its source row and its relation set. */
export interface RelationGraph {
  rows: number;
  /** edges of row i: indptr[i] .. indptr[i+1] */
  indptr: Int32Array;
  /** per edge, the neighbour j whose message row i receives */
  src: Int32Array;
  /** per edge, its relation set */
  set: Int32Array;
  /** relation set c holds the relation-table rows setRels[setPtr[c] .. setPtr[c+1]] */
  setPtr: Int32Array;
  setRels: Int32Array;
  /** rows of the relation table: relations and their inverses */
  relations: number;
}

/**
 * The relation graph of a triple index: edge h ← t with relation r and t ← h with its inverse
 * (r + R, R = the largest relation id + 1), self-loops left out, the relations between one pair of
 * rows gathered into one edge whose set is their distinct ids (sets numbered in first-seen order).
 */
export function relationGraph(rows: number, g: TripleCsr): RelationGraph {
  let R = 0;
  for (const r of g.relations) R = Math.max(R, r + 1);
  const indptr = new Int32Array(rows + 1);
  const src: number[] = [];
  const set: number[] = [];
  const setIds = new Map<string, number>();
  const setPtr: number[] = [0];
  const setRels: number[] = [];
  for (let i = 0; i < rows; i++) {
    const byNeighbour = new Map<number, Set<number>>();
    for (let p = g.indptr[i]!; p < g.indptr[i + 1]!; p++) {
      const j = g.neighbours[p]!;
      if (j === i) continue;
      const rel = g.outgoing[p] ? g.relations[p]! : g.relations[p]! + R;
      let s = byNeighbour.get(j);
      if (!s) byNeighbour.set(j, (s = new Set()));
      s.add(rel);
    }
    for (const j of [...byNeighbour.keys()].sort((a, b) => a - b)) {
      const rels = [...byNeighbour.get(j)!].sort((a, b) => a - b);
      const key = rels.join(',');
      let c = setIds.get(key);
      if (c === undefined) {
        setIds.set(key, (c = setIds.size));
        setRels.push(...rels);
        setPtr.push(setRels.length);
      }
      src.push(j);
      set.push(c);
    }
    indptr[i + 1] = src.length;
  }
  return { rows, indptr, src: Int32Array.from(src), set: Int32Array.from(set), setPtr: Int32Array.from(setPtr), setRels: Int32Array.from(setRels), relations: 2 * R };
}

export interface RreaSets {
  /** sets × d, each row normalised */
  r: Float32Array;
  /** per set, the norm of its sum before normalising (the backward pass needs it) */
  norm: Float32Array;
}

/** The normalised relation-set vectors r_c from the relation table `rel` (relations × d). */
export function relationSets(g: RelationGraph, rel: Float32Array, d: number): RreaSets {
  const C = g.setPtr.length - 1;
  const r = sharedF32(C * d); // read by every layer of the step, forward and backward: shared once
  const norm = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const o = c * d;
    for (let p = g.setPtr[c]!; p < g.setPtr[c + 1]!; p++) {
      const k = g.setRels[p]! * d;
      for (let x = 0; x < d; x++) r[o + x]! += rel[k + x]!;
    }
    let s = 0;
    for (let x = 0; x < d; x++) s += r[o + x]! * r[o + x]!;
    const n = Math.max(Math.sqrt(s), 1e-12); // F.normalize's eps
    norm[c] = n;
    for (let x = 0; x < d; x++) r[o + x]! /= n;
  }
  return { r, norm };
}

export interface RreaForward {
  /** rows × d: tanh of the aggregation */
  out: Float32Array;
  /** per edge, its attention weight */
  alpha: Float32Array;
}

/** The rows a layer's kernels split between threads: destinations by edge count. */
const rowsOf = (g: RelationGraph): AggGraph => ({ outputs: g.rows, indptr: g.indptr, indices: g.src, self: new Int32Array(0) });

/** What a forward row range reads and writes (shared memory when threads run it). */
export interface RreaForwardTask {
  g: Pick<RelationGraph, 'indptr' | 'src' | 'set'>;
  H: Float32Array;
  d: number;
  /** sets × d, normalised */
  r: Float32Array;
  /** per set, r_c · k */
  logit: Float32Array;
  out: Float32Array;
  alpha: Float32Array;
}

/** One RREA layer over input rows H (rows × d), set vectors `sets`, attention kernel k (d); the rows
 *  split over the kernel threads, natively (native/kernels.cc) where the addon is built. */
export function rreaForward(g: RelationGraph, H: Float32Array, d: number, sets: RreaSets, k: Float32Array): RreaForward {
  const { r } = sets;
  const C = g.setPtr.length - 1;
  const logit = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let x = 0; x < d; x++) s += r[c * d + x]! * k[x]!;
    logit[c] = s;
  }
  const task: RreaForwardTask = { g: { indptr: g.indptr, src: g.src, set: g.set }, H, d, r, logit, out: sharedF32(g.rows * d), alpha: sharedF32(g.src.length) };
  parallelRows(rowsOf(g), 'rreaForwardRows', task, (i0, i1) => rreaForwardRows(task, i0, i1));
  return { out: task.out, alpha: task.alpha };
}

export function rreaForwardRows(t: RreaForwardTask, i0: number, i1: number): void {
  const native = nativeKernels();
  if (native) native.rreaForwardRows(t, i0, i1);
  else rreaForwardRowsTs(t, i0, i1);
}

export function rreaForwardRowsTs(t: RreaForwardTask, i0: number, i1: number): void {
  const { g, H, d, r, logit, out, alpha } = t;
  const acc = new Float64Array(d);
  for (let i = i0; i < i1; i++) {
    const e0 = g.indptr[i]!;
    const e1 = g.indptr[i + 1]!;
    if (e0 === e1) continue; // no neighbour: tanh(0) = 0
    let max = -Infinity;
    for (let e = e0; e < e1; e++) max = Math.max(max, logit[g.set[e]!]!);
    let z = 0;
    for (let e = e0; e < e1; e++) z += alpha[e] = Math.exp(logit[g.set[e]!]! - max);
    acc.fill(0);
    for (let e = e0; e < e1; e++) {
      const a = (alpha[e]! /= z);
      const h = g.src[e]! * d;
      const rc = g.set[e]! * d;
      let s = 0;
      for (let x = 0; x < d; x++) s += H[h + x]! * r[rc + x]!;
      for (let x = 0; x < d; x++) acc[x]! += a * (H[h + x]! - 2 * s * r[rc + x]!);
    }
    for (let x = 0; x < d; x++) out[i * d + x] = Math.tanh(acc[x]!);
  }
}

export interface RreaGradients {
  dH: Float32Array;
  /** relations × d */
  dRel: Float32Array;
  dk: Float32Array;
}

/** What a backward row range reads, and the sums it adds into (its own when a thread runs it). */
export interface RreaBackwardTask extends Omit<RreaForwardTask, 'logit'> {
  dOut: Float32Array;
  /** dr in float like dH: per edge the backward pass reads and writes a set's row of it, and in
   *  doubles that traffic was a fifth of a LoginMEA step (the sums over a set's edges stay exact
   *  enough: test/unit/rrea.test.ts) */
  acc: { dH: Float32Array; dr: Float32Array; dlogit: Float64Array };
}

/** The gradients of a layer's output (dOut, rows × d) with respect to H, the relation table and k. */
export function rreaBackward(g: RelationGraph, H: Float32Array, d: number, sets: RreaSets, k: Float32Array, fwd: RreaForward, dOut: Float32Array): RreaGradients {
  const { r, norm } = sets;
  const C = g.setPtr.length - 1;
  const acc = { dH: sharedF32(H.length), dr: sharedF32(C * d), dlogit: sharedF64(C) };
  const base = { g: { indptr: g.indptr, src: g.src, set: g.set }, H, d, r, out: fwd.out, alpha: fwd.alpha, dOut };
  const task: RreaBackwardTask = { ...base, acc };
  // each other thread sums its rows' contributions into sums of its own, added to the first thread's
  // in thread order (so a run is deterministic for a given thread count), as the GAT's backward
  parallelRows(
    rowsOf(g),
    'rreaBackwardRows',
    base,
    (i0, i1) => rreaBackwardRows(task, i0, i1),
    () => ({ dH: sharedF32(H.length), dr: sharedF32(C * d), dlogit: sharedF64(C) }),
    (part) => {
      addInto(acc.dH, part.dH);
      addInto(acc.dr, part.dr);
      addInto(acc.dlogit, part.dlogit);
    },
  );
  const { dH, dr, dlogit } = acc;
  // logit_c = r_c · k
  const dk = new Float32Array(d);
  for (let c = 0; c < C; c++) {
    const l = dlogit[c]!;
    if (l === 0) continue;
    for (let x = 0; x < d; x++) {
      dk[x]! += l * r[c * d + x]!;
      dr[c * d + x]! += l * k[x]!;
    }
  }
  // r_c = u_c / ‖u_c‖, u_c = Σ Rel_k: du = (dr − r (r · dr)) / ‖u‖, added to each relation of the set
  const dRel = new Float32Array(g.relations * d);
  for (let c = 0; c < C; c++) {
    const o = c * d;
    let rd = 0;
    for (let x = 0; x < d; x++) rd += r[o + x]! * dr[o + x]!;
    for (let p = g.setPtr[c]!; p < g.setPtr[c + 1]!; p++) {
      const kk = g.setRels[p]! * d;
      for (let x = 0; x < d; x++) dRel[kk + x]! += (dr[o + x]! - r[o + x]! * rd) / norm[c]!;
    }
  }
  return { dH, dRel, dk };
}

export function rreaBackwardRows(t: RreaBackwardTask, i0: number, i1: number): void {
  const native = nativeKernels();
  if (native) native.rreaBackwardRows(t, i0, i1);
  else rreaBackwardRowsTs(t, i0, i1);
}

export function rreaBackwardRowsTs(t: RreaBackwardTask, i0: number, i1: number): void {
  const { g, H, d, r, out, alpha, dOut } = t;
  const { dH, dr, dlogit } = t.acc;
  const gi = new Float64Array(d);
  let da = new Float64Array(256);
  for (let i = i0; i < i1; i++) {
    const e0 = g.indptr[i]!;
    const e1 = g.indptr[i + 1]!;
    if (e0 === e1) continue;
    // through tanh
    for (let x = 0; x < d; x++) {
      const o = out[i * d + x]!;
      gi[x] = dOut[i * d + x]! * (1 - o * o);
    }
    if (e1 - e0 > da.length) da = new Float64Array(e1 - e0);
    let mean = 0; // Σ α_e dα_e
    for (let e = e0; e < e1; e++) {
      const a = alpha[e]!;
      const h = g.src[e]! * d;
      const rc = g.set[e]! * d;
      let s = 0; // h_j · r_c
      let gr = 0; // g_i · r_c
      let gm = 0; // g_i · m_e
      for (let x = 0; x < d; x++) {
        s += H[h + x]! * r[rc + x]!;
        gr += gi[x]! * r[rc + x]!;
      }
      for (let x = 0; x < d; x++) gm += gi[x]! * (H[h + x]! - 2 * s * r[rc + x]!);
      da[e - e0] = gm;
      mean += a * gm;
      // the message's gradient α g_i, through the reflection (I − 2 r rᵀ, symmetric) to h_j, and to r_c
      for (let x = 0; x < d; x++) {
        dH[h + x]! += a * (gi[x]! - 2 * gr * r[rc + x]!);
        dr[rc + x]! -= 2 * a * (gr * H[h + x]! + s * gi[x]!);
      }
    }
    // through the softmax to the set's logit
    for (let e = e0; e < e1; e++) dlogit[g.set[e]!]! += alpha[e]! * (da[e - e0]! - mean);
  }
}
