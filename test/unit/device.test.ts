// The device path (runtime/kernelPath.ts, nn/device.ts) against the host kernels, on the tfjs cpu
// backend, which has the segment operations a GPU backend has: each layer's forward and gradients
// within float tolerance, and no host read in a layer's forward and backward on the device path.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatGraph, subGraph } from '../../src/engine/nn/gat';
import { gatLayer, rreaLayer, scatterAddRows, spmm, takeRows } from '../../src/engine/nn/ops';
import type { AggGraph, SparseRows } from '../../src/engine/runtime/layouts';
import { setKernelPath, type KernelPath } from '../../src/engine/runtime/kernelPath';
import { mulberry32 } from '../../src/engine/random';
import { hostReadCount, initBackend, tf } from '../../src/engine/runtime/tf';
import { randomGraph } from './rrea-checks';

const rand = mulberry32(5);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

/** The value of `f` over `inputs` and its gradients for a fixed random linear loss, on one path. */
function run(path: KernelPath, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weight: tf.Tensor): { value: Float32Array; grads: Float32Array[] } {
  setKernelPath(path);
  const value = tf.tidy(() => f(...inputs).dataSync() as Float32Array);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weight)))(inputs);
  return { value, grads: grads.map((g) => g.dataSync() as Float32Array) };
}

function expectClose(a: Float32Array, b: Float32Array, tol: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  expect(scale).toBeGreaterThan(0); // a comparison of zeros would prove nothing
  expect(worst).toBeLessThanOrEqual(tol * Math.max(1, scale));
}

/** Host and device agree on `f`'s value and on every gradient; the device forward + backward reads nothing to the host. */
function expectSamePaths(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], outShape: number[], tol = 1e-5): void {
  const weight = tf.tensor(randn(outShape.reduce((a, b) => a * b, 1)), outShape);
  const host = run('host', f, inputs, weight);
  checkDevice(f, inputs, weight, host, tol);
}

function checkDevice(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weight: tf.Tensor, host: { value: Float32Array; grads: Float32Array[] }, tol: number): void {
  const device = run('device', f, inputs, weight);
  expectClose(device.value, host.value, tol);
  device.grads.forEach((g, k) => expectClose(g, host.grads[k]!, tol));
  setKernelPath('device');
  const before = hostReadCount();
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weight)))(inputs);
  expect(hostReadCount() - before).toBe(0);
  tf.dispose(grads);
}

/** A graph of `rows` nodes with random undirected edges, as gatGraph builds it (self-loops first). */
function randomAggGraph(rows: number, edges: number): AggGraph {
  const neighbours: number[][] = Array.from({ length: rows }, () => []);
  for (let e = 0; e < edges; e++) {
    const i = Math.floor(rand() * rows);
    const j = Math.floor(rand() * rows);
    neighbours[i]!.push(j);
    neighbours[j]!.push(i);
  }
  const indptr = new Int32Array(rows + 1);
  neighbours.forEach((n, i) => (indptr[i + 1] = indptr[i]! + n.length));
  return gatGraph({ rows, graph: { indptr, neighbours: Int32Array.from(neighbours.flat()) } } as unknown as Parameters<typeof gatGraph>[0]);
}

describe('the device path against the host kernels (cpu backend)', () => {
  beforeAll(async () => {
    expect(await initBackend('cpu')).toBe('cpu');
  });
  afterEach(() => setKernelPath('auto'));

  it('counts host reads, and auto is the host path on a CPU backend', () => {
    const t = tf.tensor1d([1, 2]);
    const before = hostReadCount();
    t.dataSync();
    expect(hostReadCount()).toBe(before + 1);
    t.dispose();
    setKernelPath('auto');
    const g = randomAggGraph(6, 8);
    const X = tf.tensor2d(randn(6 * 3), [6, 3]);
    const w = tf.ones([1, 3]) as tf.Tensor2D;
    const a = tf.tensor2d(randn(6), [1, 6]);
    const at = hostReadCount();
    tf.tidy(() => gatLayer(X, w, a, g));
    expect(hostReadCount()).toBeGreaterThan(at); // the host kernels read their inputs
  });

  it('the diag GAT layer: every output row, and the last layer over a subset of rows with repeats', () => {
    const rows = 40;
    const D = 6;
    const heads = 2;
    const g = randomAggGraph(rows, 90);
    // attention scalars of a few units, as trained ones: the stabiliser must not lose precision
    const X = tf.tensor2d(randn(rows * D, 2), [rows, D]);
    const w = tf.tensor2d(randn(heads * D, 1.5), [heads, D]);
    const a = tf.tensor2d(randn(heads * 2 * D, 1.5), [heads, 2 * D]);
    const wLeft = tf.tensor2d(randn(heads * D, 1.5), [heads, D]);
    expectSamePaths((x, ww, aa) => gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, g), [X, w, a], [rows, D]);
    const sub = subGraph(g, Int32Array.of(3, 17, 3, 39, 0));
    expectSamePaths((x, ww, aa) => gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, sub), [X, w, a], [5, D]);
    // MPSEA's multi-weight layer: the node's own weight in its attention scalar
    expectSamePaths((x, ww, aa, wl) => gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, g, undefined, '', wl as tf.Tensor2D), [X, w, a, wLeft], [rows, D]);
  });

  it('the RREA layer, with rows without neighbours and repeated relation sets', () => {
    const g = randomGraph(7, 40, 5, 30);
    const d = 5;
    const H = tf.tensor2d(randn(g.rows * d), [g.rows, d]);
    const rel = tf.tensor2d(randn(g.relations * d), [g.relations, d]);
    const k = tf.tensor1d(randn(d, 3));
    expect(g.indptr.some((p, i) => i < g.rows && p === g.indptr[i + 1])).toBe(true); // a row with no edge
    expectSamePaths((h, r, kk) => rreaLayer(h as tf.Tensor2D, r as tf.Tensor2D, kk as tf.Tensor1D, g), [H, rel, k], [g.rows, d]);
  });

  it('the sparse product, the row gather and its scatter', () => {
    const inDims = 12;
    const C = 4;
    const indptr = Int32Array.of(0, 2, 2, 5, 6);
    const x: SparseRows = { rows: Int32Array.of(2, 0, 1, 2, 3), indptr, indices: Int32Array.of(1, 11, 0, 5, 11, 7), values: Float32Array.of(0.5, -1, 2, 0.25, 1, 3) };
    const W = tf.tensor2d(randn(inDims * C), [inDims, C]);
    expectSamePaths((w) => spmm(x, w as tf.Tensor2D), [W], [5, C]);
    const at = Int32Array.of(4, 0, 4, 2, 1, 1);
    const G = tf.tensor2d(randn(6 * C), [6, C]);
    // the host scatter is a gradient, never differentiated itself: its value, the device's gradient (a gather)
    const weight = tf.tensor2d(randn(5 * C), [5, C]);
    setKernelPath('host');
    const value = scatterAddRows(G, at, 5).dataSync() as Float32Array;
    const wd = weight.dataSync();
    const gather = Float32Array.from(Array.from(at).flatMap((r) => Array.from(wd.subarray(r * C, (r + 1) * C))));
    checkDevice((gg) => scatterAddRows(gg as tf.Tensor2D, at, 5), [G], weight, { value, grads: [gather] }, 1e-6);
    const Y = tf.tensor2d(randn(5 * C), [5, C]);
    expectSamePaths((y) => takeRows(y as tf.Tensor2D, at), [Y], [6, C]);
  });
});
