// The device path (runtime/kernelPath.ts, nn/device.ts) against the host kernels: each layer's
// forward and gradients within float tolerance, and no host read in a layer's forward and backward
// on the device path. On the tfjs cpu backend, which has the segment operations a GPU backend has,
// and on webgpu (Dawn on Vulkan: lavapipe's software GPU here, .ci/run installs it) where an adapter
// is there. The host path's reference values are computed on the cpu backend.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatGraph, subGraph } from '../../src/engine/nn/gat';
import { gatLayer, rreaLayer, scatterAddRows, spmm, takeRows } from '../../src/engine/nn/ops';
import type { AggGraph, SparseRows } from '../../src/engine/runtime/layouts';
import { setKernelPath, type KernelPath } from '../../src/engine/runtime/kernelPath';
import { mulberry32 } from '../../src/engine/random';
import { hostReadCount, initBackend, tf, webgpuAdapter, type BackendName } from '../../src/engine/runtime/tf';
import { skipWithout } from '../helpers';
import { randomGraph } from './rrea-checks';

const rand = mulberry32(5);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

/** Copies of tensors on the current backend (read asynchronously: tfjs-backend-webgpu has no
 *  synchronous read outside a browser). */
async function onBackend(ts: tf.Tensor[]): Promise<tf.Tensor[]> {
  const values = await Promise.all(ts.map((t) => t.data()));
  return ts.map((t, k) => tf.tensor(values[k]!, t.shape, t.dtype));
}

/** The value of `f` over `inputs` and its gradients for a fixed random linear loss, on one path. */
async function run(path: KernelPath, backend: BackendName, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weight: tf.Tensor): Promise<{ value: Float32Array; grads: Float32Array[] }> {
  await initBackend(backend);
  setKernelPath(path);
  const xs = await onBackend(inputs);
  const [w] = await onBackend([weight]);
  const y = f(...xs);
  const value = (await y.data()) as Float32Array;
  const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w!)))(xs);
  const out = { value, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
  tf.dispose([y, ...grads, ...xs, w!]);
  return out;
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
async function expectSamePaths(backend: BackendName, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], outShape: number[]): Promise<void> {
  const weight = tf.tensor(randn(outShape.reduce((a, b) => a * b, 1)), outShape);
  const host = await run('host', 'cpu', f, inputs, weight);
  await checkDevice(backend, f, inputs, weight, host);
}

/** GPU arithmetic (exp, fused multiply–adds, summation order) differs from the CPU's in the last bits */
const TOLERANCE: Partial<Record<BackendName, number>> = { cpu: 1e-5, webgpu: 1e-4 };

async function checkDevice(backend: BackendName, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weight: tf.Tensor, host: { value: Float32Array; grads: Float32Array[] }): Promise<void> {
  const device = await run('device', backend, f, inputs, weight);
  const tol = TOLERANCE[backend]!;
  expectClose(device.value, host.value, tol);
  device.grads.forEach((g, k) => expectClose(g, host.grads[k]!, tol));
  const xs = await onBackend(inputs);
  const [w] = await onBackend([weight]);
  const before = hostReadCount();
  const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w!)))(xs);
  expect(hostReadCount() - before).toBe(0);
  tf.dispose([...grads, ...xs, w!]);
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

describe('host reads and the kernel path', () => {
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
});

const adapter = await webgpuAdapter();
const noWebgpu = skipWithout('a WebGPU adapter (the webgpu package and a Vulkan driver; .ci/run installs lavapipe)', adapter !== null);

// Skipped on webgpu only where this machine has no WebGPU adapter (no `webgpu` package or no Vulkan
// driver): each of its tests is then reported as skipped, and skipWithout makes that an error on CI,
// where .ci/run installs lavapipe.
describe.each(['cpu', 'webgpu'] as const)('the device path on %s against the host kernels', (backend) => {
  describe.skipIf(backend === 'webgpu' && noWebgpu)('forwards and gradients', () => {
    afterEach(() => setKernelPath('auto'));

    it('the diag GAT layer: every output row, and the last layer over a subset of rows with repeats', async () => {
      const rows = 40;
      const D = 6;
      const heads = 2;
      const g = randomAggGraph(rows, 90);
      // attention scalars of a few units, as trained ones: the stabiliser must not lose precision
      const X = tf.tensor2d(randn(rows * D, 2), [rows, D]);
      const w = tf.tensor2d(randn(heads * D, 1.5), [heads, D]);
      const a = tf.tensor2d(randn(heads * 2 * D, 1.5), [heads, 2 * D]);
      const wLeft = tf.tensor2d(randn(heads * D, 1.5), [heads, D]);
      await expectSamePaths(backend, (x, ww, aa) => gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, g), [X, w, a], [rows, D]);
      const sub = subGraph(g, Int32Array.of(3, 17, 3, 39, 0));
      await expectSamePaths(backend, (x, ww, aa) => gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, sub), [X, w, a], [5, D]);
      // MPSEA's multi-weight layer: the node's own weight in its attention scalar
      await expectSamePaths(backend, (x, ww, aa, wl) => gatLayer(x as tf.Tensor2D, ww as tf.Tensor2D, aa as tf.Tensor2D, g, undefined, '', wl as tf.Tensor2D), [X, w, a, wLeft], [rows, D]);
    });

    it('the RREA layer, with rows without neighbours and repeated relation sets', async () => {
      const g = randomGraph(7, 40, 5, 30);
      const d = 5;
      const H = tf.tensor2d(randn(g.rows * d), [g.rows, d]);
      const rel = tf.tensor2d(randn(g.relations * d), [g.relations, d]);
      const k = tf.tensor1d(randn(d, 3));
      expect(g.indptr.some((p, i) => i < g.rows && p === g.indptr[i + 1])).toBe(true); // a row with no edge
      await expectSamePaths(backend, (h, r, kk) => rreaLayer(h as tf.Tensor2D, r as tf.Tensor2D, kk as tf.Tensor1D, g), [H, rel, k], [g.rows, d]);
    });

    it('the sparse product, the row gather and its scatter', async () => {
      const inDims = 12;
      const C = 4;
      const indptr = Int32Array.of(0, 2, 2, 5, 6);
      const x: SparseRows = { rows: Int32Array.of(2, 0, 1, 2, 3), indptr, indices: Int32Array.of(1, 11, 0, 5, 11, 7), values: Float32Array.of(0.5, -1, 2, 0.25, 1, 3) };
      const W = tf.tensor2d(randn(inDims * C), [inDims, C]);
      await expectSamePaths(backend, (w) => spmm(x, w as tf.Tensor2D), [W], [5, C]);
      const at = Int32Array.of(4, 0, 4, 2, 1, 1);
      const G = tf.tensor2d(randn(6 * C), [6, C]);
      // the host scatter is a gradient, never differentiated itself: its value, the device's gradient (a gather)
      const weight = tf.tensor2d(randn(5 * C), [5, C]);
      await initBackend('cpu');
      setKernelPath('host');
      const [g0] = await onBackend([G]);
      const value = scatterAddRows(g0 as tf.Tensor2D, at, 5).dataSync() as Float32Array;
      const wd = await weight.data();
      const gather = Float32Array.from(Array.from(at).flatMap((r) => Array.from(wd.subarray(r * C, (r + 1) * C))));
      await checkDevice(backend, (gg) => scatterAddRows(gg as tf.Tensor2D, at, 5), [G], weight, { value, grads: [gather] });
      const Y = tf.tensor2d(randn(5 * C), [5, C]);
      await expectSamePaths(backend, (y) => takeRows(y as tf.Tensor2D, at), [Y], [6, C]);
    });
  });
});
