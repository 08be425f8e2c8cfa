// The hand-written sparse kernels: forward against a direct dense computation of the formula, and
// backward against central finite differences.
import { describe, expect, it } from 'vitest';
import { skipWithout } from '../helpers';
import { afterAll } from 'vitest';
import { gatBackward, gatForward, spmmBackward, spmmForward, type AggGraph, type SparseRows } from '../../src/engine/nn/kernels';
import { kernelPoolProblem, kernelThreads, parallelRows, rowRanges, setKernelThreads } from '../../src/engine/runtime/pool';
import { gatBackwardRowsTs, gatForwardRowsTs, type GatBackwardSums } from '../../src/engine/nn/kernels';
import { nativeAddonPath, nativeKernels } from '../../src/engine/runtime/native';
import { mulberry32 } from '../../src/engine/random';

const rand = mulberry32(7);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

// 5 X rows, 3 output rows (outputs 0..2 are X rows 4, 0, 2), each with its self-loop
const graph: AggGraph = {
  outputs: 3,
  self: Int32Array.from([4, 0, 2]),
  indptr: Int32Array.from([0, 3, 5, 9]),
  indices: Int32Array.from([4, 1, 3, 0, 2, 2, 0, 1, 4]),
};
const D = 4;

/** The layer written directly from methods.md §0.4 (exp(−LeakyReLU(a·[h_i‖h_j])), normalised); with
 *  `wLeft`, MPSEA's multi-weight layer: h_i = wLeft ⊙ x_i in the attention, h_j = w ⊙ x_j. */
function reference(X: Float32Array, w: Float32Array, a: Float32Array, heads: number, wLeft: Float32Array = w): Float64Array {
  const out = new Float64Array(graph.outputs * D);
  for (let k = 0; k < heads; k++) {
    for (let i = 0; i < graph.outputs; i++) {
      const hi = Array.from({ length: D }, (_, d) => X[graph.self[i]! * D + d]! * wLeft[k * D + d]!);
      let sum = 0;
      const acc = new Float64Array(D);
      for (let p = graph.indptr[i]!; p < graph.indptr[i + 1]!; p++) {
        const j = graph.indices[p]!;
        const hj = Array.from({ length: D }, (_, d) => X[j * D + d]! * w[k * D + d]!);
        let z = 0;
        for (let d = 0; d < D; d++) z += a[k * 2 * D + d]! * hi[d]! + a[k * 2 * D + D + d]! * hj[d]!;
        const e = Math.exp(-(z > 0 ? z : 0.2 * z));
        sum += e;
        for (let d = 0; d < D; d++) acc[d]! += e * hj[d]!;
      }
      for (let d = 0; d < D; d++) out[i * D + d]! += acc[d]! / sum / heads;
    }
  }
  return out;
}

function numericGrad(param: Float32Array, loss: () => number, eps = 1e-2): Float64Array {
  const g = new Float64Array(param.length);
  for (let k = 0; k < param.length; k++) {
    const v = param[k]!;
    param[k] = v + eps;
    const up = loss();
    param[k] = v - eps;
    const down = loss();
    param[k] = v;
    g[k] = (up - down) / (2 * eps);
  }
  return g;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let k = 0; k < actual.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  expect(worst).toBeLessThan(tol);
}

// 2 heads (the reference's, a specialised loop) and 3 (the general loop)
describe.each([2, 3])('GAT attention kernel, %i heads', (heads) => {
  const X = randn(5 * D);
  const w = randn(heads * D);
  const a = randn(heads * 2 * D);
  const R = randn(graph.outputs * D); // loss = Σ out ⊙ R

  it('computes the layer of methods.md §0.4', () => {
    expectClose(gatForward(X, D, w, a, heads, graph).out, reference(X, w, a, heads), 1e-5);
  });

  it('has gradients equal to finite differences for X, w and a', () => {
    const loss = () => reference(X, w, a, heads).reduce((s, v, k) => s + v * R[k]!, 0);
    const f = gatForward(X, D, w, a, heads, graph);
    const g = gatBackward(X, D, w, a, heads, graph, f, R);
    expectClose(g.dX, numericGrad(X, loss), 2e-3);
    expectClose(g.dw, numericGrad(w, loss), 2e-3);
    expectClose(g.da, numericGrad(a, loss), 2e-3);
    // every input row reached through an edge gets a gradient; row 3 only as a neighbour
    expect(Math.abs(g.dX[3 * D]!)).toBeGreaterThan(0);
    expect(g.dwLeft).toBeNull();
  });

  it("computes MPSEA's multi-weight layer (a left weight of its own in s1) and its gradients", () => {
    const wLeft = randn(heads * D);
    const loss = () => reference(X, w, a, heads, wLeft).reduce((s, v, k) => s + v * R[k]!, 0);
    const f = gatForward(X, D, w, a, heads, graph, wLeft);
    expectClose(f.out, reference(X, w, a, heads, wLeft), 1e-5);
    const g = gatBackward(X, D, w, a, heads, graph, f, R, wLeft);
    // small steps: a step of 1e-2 can cross LeakyReLU's kink for these weights
    expectClose(g.dX, numericGrad(X, loss, 1e-3), 2e-3);
    expectClose(g.dw, numericGrad(w, loss, 1e-3), 2e-3);
    expectClose(g.dwLeft!, numericGrad(wLeft, loss, 1e-3), 2e-3);
    expectClose(g.da, numericGrad(a, loss, 1e-3), 2e-3);
  });
});

describe('sparse rows × dense', () => {
  // CSR 3 × 4; output rows 2, 0, 2 (repeats allowed)
  const x: SparseRows = {
    rows: Int32Array.from([2, 0, 2]),
    indptr: Int32Array.from([0, 2, 2, 4]),
    indices: Int32Array.from([0, 3, 1, 3]),
    values: Float32Array.from([1, 2, 3, 0.5]),
  };
  const C = 2;
  const W = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // 4 × 2

  it('multiplies the selected rows', () => {
    // row 2 = 3·W[1] + 0.5·W[3] = (9 + 3.5, 12 + 4); row 0 = W[0] + 2·W[3] = (15, 18)
    expect(Array.from(spmmForward(x, W, C))).toEqual([12.5, 16, 15, 18, 12.5, 16]);
  });

  it('has the weight gradient xᵀ·dOut', () => {
    const dOut = Float32Array.from([1, 0, 0, 1, 2, 0]);
    const loss = () => spmmForward(x, W, C).reduce((s, v, k) => s + v * dOut[k]!, 0);
    expectClose(spmmBackward(x, dOut, 4, C), numericGrad(W, loss, 0.5), 1e-3);
  });
});

describe('GAT kernel on several threads (pool.ts)', () => {
  // a random graph big enough to be split: 3,000 outputs over 4,000 X rows, ~25 edges each
  const r = mulberry32(11);
  const N = 4000;
  const P = 3000;
  const indptr = new Int32Array(P + 1);
  const idx: number[] = [];
  for (let i = 0; i < P; i++) {
    idx.push(i);
    const deg = 1 + Math.floor(r() * 48);
    for (let k = 0; k < deg; k++) idx.push(Math.floor(r() * N));
    indptr[i + 1] = idx.length;
  }
  const big: AggGraph = { outputs: P, indptr, indices: Int32Array.from(idx), self: Int32Array.from({ length: P }, (_, i) => i) };
  const Db = 16;
  const X = Float32Array.from({ length: N * Db }, () => r() * 2 - 1);
  const w = Float32Array.from({ length: 2 * Db }, () => r() * 2 - 1);
  const a = Float32Array.from({ length: 4 * Db }, () => r() * 2 - 1);
  const dOut = Float32Array.from({ length: P * Db }, () => r() * 2 - 1);
  const before = kernelThreads();
  afterAll(() => setKernelThreads(before));

  it('splits rows into ranges of about equal edge counts that cover every row once', () => {
    const ranges = rowRanges(big, 3);
    expect(ranges[0]![0]).toBe(0);
    expect(ranges[2]![1]).toBe(P);
    for (let t = 1; t < 3; t++) expect(ranges[t]![0]).toBe(ranges[t - 1]![1]);
    const edges = ranges.map(([i0, i1]) => indptr[i1]! - indptr[i0]!);
    for (const e of edges) expect(Math.abs(e - idx.length / 3)).toBeLessThan(60);
  });

  it('gives the same forward bit for bit, and the backward up to summation order, deterministically', () => {
    setKernelThreads(1);
    const f1 = gatForward(X, Db, w, a, 2, big);
    const b1 = gatBackward(X, Db, w, a, 2, big, f1, dOut);
    setKernelThreads(3);
    const f3 = gatForward(X, Db, w, a, 2, big);
    expect(kernelPoolProblem()).toBeNull();
    expect(f3.out.buffer).toBeInstanceOf(SharedArrayBuffer); // really computed on the pool
    expect(Array.from(f3.out)).toEqual(Array.from(f1.out));
    expect(Array.from(f3.alpha[1]!)).toEqual(Array.from(f1.alpha[1]!));
    const b3 = gatBackward(X, Db, w, a, 2, big, f3, dOut);
    expectClose(b3.dX, b1.dX, 1e-4);
    expectClose(b3.dw, b1.dw, 1e-3);
    expectClose(b3.da, b1.da, 1e-3);
    const again = gatBackward(X, Db, w, a, 2, big, f3, dOut);
    expect(Array.from(again.dX)).toEqual(Array.from(b3.dX));
    expect(Array.from(again.da)).toEqual(Array.from(b3.da));
  });

  it('reports a failing worker as an error instead of waiting forever', () => {
    setKernelThreads(2);
    expect(() => parallelRows(big, 'no-such-task', {}, () => {})).toThrow(/kernel worker: .*unknown kernel task no-such-task/);
    // and the pool still works afterwards
    expect(Array.from(gatForward(X, Db, w, a, 2, big).out.slice(0, 8))).toEqual(Array.from(gatForward(X, Db, w, a, 2, { ...big }).out.slice(0, 8)));
  });
});

// the native kernels (native/kernels.cc) when `npm run setup` could build them; the tests above then
// ran on them (finite differences included), and here they are compared with the TypeScript loops
describe.skipIf(skipWithout('the native GAT kernels (npm run setup builds them)', nativeAddonPath() !== null))('native GAT row kernels', () => {
  it('load, and compute what the TypeScript kernels compute', () => {
    const native = nativeKernels();
    expect(native).not.toBeNull();
    const heads = 2;
    const Xn = randn(5 * D);
    const wn = randn(heads * D);
    const an = randn(heads * 2 * D);
    const fa = gatForward(Xn, D, wn, an, heads, graph); // s1, s2 and the outputs' arrays
    const fresh = () => ({ ...fa, out: new Float32Array(fa.out.length), alpha: fa.alpha.map((x) => new Float32Array(x.length)), agg: fa.agg.map((x) => new Float32Array(x.length)) });
    const fNative = fresh();
    const fTs = fresh();
    native!.gatForwardRows({ X: Xn, D, w: wn, heads, g: graph, f: fNative }, 0, graph.outputs);
    gatForwardRowsTs({ X: Xn, D, w: wn, heads, g: graph, f: fTs }, 0, graph.outputs);
    expectClose(fNative.out, fTs.out, 1e-6);
    expectClose(fNative.alpha[1]!, fTs.alpha[1]!, 1e-6);
    const dOutN = randn(graph.outputs * D);
    const sums = (): GatBackwardSums => ({
      dX: new Float32Array(5 * D),
      dw: new Float32Array(heads * D),
      ds2: [new Float64Array(5), new Float64Array(5)],
      dv1: [new Float64Array(D), new Float64Array(D)],
    });
    const bNative = sums();
    const bTs = sums();
    // a left weight of its own (the multi-weight layer's), so both read it where they should
    const w1 = randn(heads * D);
    native!.gatBackwardRows({ X: Xn, D, w: wn, w1, a: an, heads, g: graph, f: fTs, dOut: dOutN, acc: bNative }, 0, graph.outputs);
    gatBackwardRowsTs({ X: Xn, D, w: wn, w1, a: an, heads, g: graph, f: fTs, dOut: dOutN, acc: bTs }, 0, graph.outputs);
    expectClose(bNative.dX, bTs.dX, 1e-6);
    expectClose(bNative.dw, bTs.dw, 1e-6);
    expectClose(bNative.ds2[0]!, bTs.ds2[0]!, 1e-9);
    expectClose(bNative.dv1[1]!, bTs.dv1[1]!, 1e-9);
    // a wrong argument is an error, not a crash
    expect(() => native!.gatForwardRows({ X: new Float64Array(4), D, w: wn, heads, g: graph, f: fNative }, 0, 1)).toThrow(/X/);
  });
});
