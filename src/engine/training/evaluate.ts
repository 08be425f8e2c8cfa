// Ranking metrics of an alignment (methods.md §0.6): for gold pairs (l, r) between a set of left
// rows and a set of right rows, the rank of r among all right rows for l (left-to-right) and of l
// among all left rows for r (right-to-left), by cosine similarity or CSLS(k). Similarities are
// computed in row blocks (Blocks: tfjs matMul or the native kernels, the only heavy part); the block
// matrix is kept for the second pass while it fits a memory budget, else recomputed, so memory stays
// bounded.
//
// Ranks: every score is computed by one function (score below), in double precision from the
// float32 similarities, and a gold pair's score is kept in double too, so the gold candidate
// compared with itself is equal, never above (a float32 copy of it once let the gold beat its own
// rounded score: DBP15K with names lost ~16 points of validation H@1 that way). Exact ties are
// broken the way a stable sort of the papers' code would break them (methods.md §0.6: "ties are
// resolved by the sort order"): a candidate with the gold's score ranks above it only when its index
// is lower. So rank = 1 + #(score > gold) + #(score = gold, index < gold's index).
import { nativeDenseOn, type NativeDense } from '../runtime/native';
import { sharedF32, splitRows } from '../runtime/pool';
import { currentBackend, tf } from '../runtime/tf';

export interface DirectionMetrics {
  hits1: number;
  hits5: number;
  hits10: number;
  mrr: number;
  mr: number;
}

export interface Metrics {
  mean: DirectionMetrics;
  l2r: DirectionMetrics;
  r2l: DirectionMetrics;
  pairs: number;
  candidates: [number, number];
}

export interface RankOptions {
  /** CSLS neighbourhood size; 0 for plain cosine */
  csls: number;
  blockRows?: number;
  /** keep the similarity blocks between the two passes up to this many bytes */
  cacheBytes?: number;
  /** the similarity kernel: the native one where the backend is a CPU one and the addon is built
   *  (the default), or tfjs matMul (what a device backend runs; tests compare the two) */
  kernel?: 'auto' | 'tfjs';
}

/** CSLS_ij = 2·S_ij − r_i − c_j (plain cosine when r, c are zero), in double precision: the one
 *  score every rank compares. */
const score = (s: Float32Array, o: number, j: number, ri: number, c: Float32Array) => 2 * s[o + j]! - ri - c[j]!;

function summarise(ranks: Int32Array): DirectionMetrics {
  let h1 = 0;
  let h5 = 0;
  let h10 = 0;
  let rr = 0;
  let r = 0;
  for (const k of ranks) {
    if (k <= 1) h1++;
    if (k <= 5) h5++;
    if (k <= 10) h10++;
    rr += 1 / k;
    r += k;
  }
  const n = Math.max(ranks.length, 1);
  return { hits1: h1 / n, hits5: h5 / n, hits10: h10 / n, mrr: rr / n, mr: r / n };
}

function meanOf(a: DirectionMetrics, b: DirectionMetrics): DirectionMetrics {
  return { hits1: (a.hits1 + b.hits1) / 2, hits5: (a.hits5 + b.hits5) / 2, hits10: (a.hits10 + b.hits10) / 2, mrr: (a.mrr + b.mrr) / 2, mr: (a.mr + b.mr) / 2 };
}

/** Mean of the k largest values of v[from .. from + count). */
function topMean(v: Float32Array, from: number, count: number, k: number): number {
  if (k === 3 && count >= 3) {
    const m = top3Mean(v, from, count);
    if (Number.isFinite(m)) return m; // else (NaN, ±∞ among the values) the general rule below
  }
  const top = new Float64Array(k).fill(-Infinity);
  for (let j = 0; j < count; j++) {
    const x = v[from + j]!;
    if (x <= top[k - 1]!) continue;
    let p = k - 1;
    while (p > 0 && top[p - 1]! < x) {
      top[p] = top[p - 1]!;
      p--;
    }
    top[p] = x;
  }
  let s = 0;
  let n = 0;
  for (const x of top)
    if (x > -Infinity) {
      s += x;
      n++;
    }
  return n ? s / n : 0;
}

/** topMean for CSLS's usual k = 3 with the three in locals instead of an insertion into an array
 *  (which took 1.1 s of a 3.8 s FB15K-DB15K evaluation, 10,277² values, in a CPU profile). */
function top3Mean(v: Float32Array, from: number, count: number): number {
  let a = -Infinity;
  let b = -Infinity;
  let c = -Infinity;
  for (let j = from; j < from + count; j++) {
    const x = v[j]!;
    if (x <= c) continue;
    if (x > b) {
      c = b;
      if (x > a) {
        b = a;
        a = x;
      } else b = x;
    } else c = x;
  }
  return (a + b + c) / 3;
}

/** Similarities of the left rows against all right rows, block by block: with tfjs matMul, or on
 *  a CPU backend with the native dense kernels built, natively with each block's rows split over
 *  the kernel threads (~4× wasm's matMul per thread: bench/dense.mjs against environment.md). */
class Blocks {
  readonly n: number;
  private readonly bt: tf.Tensor2D | null = null;
  private readonly native: { dense: NativeDense; a: Float32Array; b: Float32Array; k: number } | null = null;
  private readonly cache: Float32Array[] | null;

  constructor(
    private readonly left: tf.Tensor2D,
    right: tf.Tensor2D,
    readonly rows: number,
    cacheBytes: number,
    kernel: RankOptions['kernel'] = 'auto',
  ) {
    this.n = Math.ceil(left.shape[0] / rows);
    const dense = kernel === 'tfjs' ? null : nativeDenseOn(currentBackend());
    if (dense) {
      // shared once, so that no block copies them again for the workers
      const shared = (t: tf.Tensor2D) => {
        const out = sharedF32(t.size);
        out.set(t.dataSync() as Float32Array);
        return out;
      };
      this.native = { dense, a: shared(left), b: shared(right), k: left.shape[1] };
    } else {
      this.bt = tf.transpose(right); // plain matMul against a transposed copy (no transposeB on wasm)
    }
    this.cache = left.shape[0] * right.shape[0] * 4 <= cacheBytes ? [] : null;
  }

  /** Block `b`'s similarities on the host. Read asynchronously from a tfjs backend: a device backend
   *  may have no synchronous read (tfjs-backend-webgpu outside a browser). */
  async get(b: number): Promise<Float32Array> {
    const cached = this.cache?.[b];
    if (cached) return cached;
    const from = b * this.rows;
    const count = Math.min(this.rows, this.left.shape[0] - from);
    let data: Float32Array;
    if (this.native) {
      const { dense, a, b: right, k } = this.native;
      const n = right.length / k;
      data = sharedF32(count * n);
      const task = { a: a.subarray(from * k, (from + count) * k), b: right, n, k, out: data };
      splitRows(count, 64, 'similarityRows', task, (i0, i1) => dense.similarityRows(task, i0, i1));
    } else {
      const s = tf.tidy(() => tf.matMul(tf.slice(this.left, [from, 0], [count, -1]), this.bt!));
      data = (await s.data()) as Float32Array;
      s.dispose();
    }
    if (this.cache) this.cache[b] = data;
    return data;
  }

  dispose(): void {
    this.bt?.dispose();
  }
}

/** CSLS penalties: r[i] = mean top-k of row i, c[j] = mean top-k of column j (zeros for cosine). */
async function penalties(blocks: Blocks, nL: number, nR: number, k: number): Promise<{ r: Float32Array; c: Float32Array }> {
  const r = new Float32Array(nL);
  const c = new Float32Array(nR);
  if (k <= 0) return { r, c };
  const colTop = Array.from({ length: k }, () => new Float32Array(nR).fill(-Infinity)); // descending
  for (let b = 0; b < blocks.n; b++) {
    const s = await blocks.get(b);
    const rowsHere = s.length / nR;
    for (let i = 0; i < rowsHere; i++) {
      const o = i * nR;
      r[b * blocks.rows + i] = topMean(s, o, nR, k);
      for (let j = 0; j < nR; j++) {
        const x = s[o + j]!;
        if (x <= colTop[k - 1]![j]!) continue;
        let p = k - 1;
        while (p > 0 && colTop[p - 1]![j]! < x) {
          colTop[p]![j] = colTop[p - 1]![j]!;
          p--;
        }
        colTop[p]![j] = x;
      }
    }
  }
  for (let j = 0; j < nR; j++) {
    let s = 0;
    let n = 0;
    for (let p = 0; p < k; p++)
      if (colTop[p]![j]! > -Infinity) {
        s += colTop[p]![j]!;
        n++;
      }
    c[j] = n ? s / n : 0;
  }
  return { r, c };
}

/**
 * Ranks of the gold pairs. `left` (nL × D) and `right` (nR × D) must be L2-normalised; `gold` is flat
 * (left index, right index) pairs into them.
 */
export async function rankPairs(left: tf.Tensor2D, right: tf.Tensor2D, gold: Int32Array, options: RankOptions): Promise<{ l2r: Int32Array; r2l: Int32Array }> {
  const nL = left.shape[0];
  const nR = right.shape[0];
  const P = gold.length / 2;
  const blocks = new Blocks(left, right, options.blockRows ?? 1024, options.cacheBytes ?? 1 << 30, options.kernel);
  try {
    const { r, c } = await penalties(blocks, nL, nR, options.csls);
    // double, as score() gives it: a float32 copy would round, and the gold could beat itself
    const goldScore = new Float64Array(P);
    const byRow = new Map<number, number[]>();
    for (let p = 0; p < P; p++) {
      const l = gold[2 * p]!;
      const list = byRow.get(l);
      if (list) list.push(p);
      else byRow.set(l, [p]);
    }
    for (let b = 0; b < blocks.n; b++) {
      const s = await blocks.get(b);
      for (let i = 0; i < s.length / nR; i++) {
        for (const p of byRow.get(b * blocks.rows + i) ?? []) goldScore[p] = score(s, i * nR, gold[2 * p + 1]!, r[b * blocks.rows + i]!, c);
      }
    }
    const l2r = new Int32Array(P).fill(1);
    const r2l = new Int32Array(P).fill(1);
    // a NaN score (a diverged model) ranks last, never first
    for (let p = 0; p < P; p++)
      if (Number.isNaN(goldScore[p]!)) {
        l2r[p] = nR;
        r2l[p] = nL;
      }
    const rightOf = Int32Array.from({ length: P }, (_, p) => gold[2 * p + 1]!);
    for (let b = 0; b < blocks.n; b++) {
      const s = await blocks.get(b);
      for (let i = 0; i < s.length / nR; i++) {
        const row = b * blocks.rows + i;
        const o = i * nR;
        const ri = r[row]!;
        for (const p of byRow.get(row) ?? []) {
          const t = goldScore[p]!;
          const g = rightOf[p]!;
          let above = 0;
          for (let j = 0; j < nR; j++) {
            const x = score(s, o, j, ri, c);
            if (x > t || (x === t && j < g)) above++;
          }
          if (!Number.isNaN(t)) l2r[p]! += above;
        }
        for (let p = 0; p < P; p++) {
          const x = score(s, o, rightOf[p]!, ri, c);
          const t = goldScore[p]!;
          if (x > t || (x === t && row < gold[2 * p]!)) r2l[p]!++; // false for a NaN gold
        }
      }
    }
    return { l2r, r2l };
  } finally {
    blocks.dispose();
  }
}

export async function evaluate(left: tf.Tensor2D, right: tf.Tensor2D, gold: Int32Array, options: RankOptions): Promise<Metrics> {
  const { l2r, r2l } = await rankPairs(left, right, gold, options);
  const a = summarise(l2r);
  const b = summarise(r2l);
  return { mean: meanOf(a, b), l2r: a, r2l: b, pairs: gold.length / 2, candidates: [left.shape[0], right.shape[0]] };
}

/** Each left row's k best right columns by CSLS (or cosine) score, best first, with their cosines. With
 *  `also` (a column per left row, −1 for none), that column's score and cosine as well, wherever it
 *  ranks (the review queue's name anchors). */
export async function topCandidates(
  left: tf.Tensor2D,
  right: tf.Tensor2D,
  k: number,
  options: RankOptions,
  also?: Int32Array,
): Promise<{ index: Int32Array; score: Float32Array; cosine: Float32Array; alsoScore: Float32Array; alsoCosine: Float32Array }> {
  const nL = left.shape[0];
  const nR = right.shape[0];
  const K = Math.min(k, nR);
  const blocks = new Blocks(left, right, options.blockRows ?? 1024, options.cacheBytes ?? 1 << 30, options.kernel);
  try {
    const { r, c } = await penalties(blocks, nL, nR, options.csls);
    const index = new Int32Array(nL * K);
    const score = new Float32Array(nL * K).fill(-Infinity);
    const cosine = new Float32Array(nL * K);
    const alsoScore = new Float32Array(also ? nL : 0).fill(-Infinity);
    const alsoCosine = new Float32Array(also ? nL : 0);
    for (let b = 0; b < blocks.n; b++) {
      const s = await blocks.get(b);
      for (let i = 0; i < s.length / nR; i++) {
        const row = b * blocks.rows + i;
        const o = row * K;
        const a = also?.[row] ?? -1;
        if (a >= 0) {
          alsoScore[row] = 2 * s[i * nR + a]! - r[row]! - c[a]!;
          alsoCosine[row] = s[i * nR + a]!;
        }
        for (let j = 0; j < nR; j++) {
          const x = 2 * s[i * nR + j]! - r[row]! - c[j]!;
          if (x <= score[o + K - 1]!) continue;
          let p = K - 1;
          while (p > 0 && score[o + p - 1]! < x) {
            score[o + p] = score[o + p - 1]!;
            index[o + p] = index[o + p - 1]!;
            cosine[o + p] = cosine[o + p - 1]!;
            p--;
          }
          score[o + p] = x;
          index[o + p] = j;
          cosine[o + p] = s[i * nR + j]!;
        }
      }
    }
    return { index, score, cosine, alsoScore, alsoCosine };
  } finally {
    blocks.dispose();
  }
}

/** Mutual nearest neighbours by cosine: pairs (i, j) where j is row i's best column and i is
 *  column j's best row (methods.md §0.7's pseudo-label candidates). Flat (left, right) indices. */
export async function mutualNearest(left: tf.Tensor2D, right: tf.Tensor2D, blockRows = 1024): Promise<Int32Array> {
  const nR = right.shape[0];
  const blocks = new Blocks(left, right, blockRows, 0); // one pass: nothing to keep
  try {
    const rowBest = new Int32Array(left.shape[0]);
    const colBest = new Int32Array(nR).fill(-1);
    const colScore = new Float32Array(nR).fill(-Infinity);
    for (let b = 0; b < blocks.n; b++) {
      const s = await blocks.get(b);
      for (let i = 0; i < s.length / nR; i++) {
        const row = b * blockRows + i;
        let best = -Infinity;
        for (let j = 0; j < nR; j++) {
          const x = s[i * nR + j]!;
          if (x > best) {
            best = x;
            rowBest[row] = j;
          }
          if (x > colScore[j]!) {
            colScore[j] = x;
            colBest[j] = row;
          }
        }
      }
    }
    const out: number[] = [];
    rowBest.forEach((j, i) => {
      if (colBest[j] === i) out.push(i, j);
    });
    return Int32Array.from(out);
  } finally {
    blocks.dispose();
  }
}
