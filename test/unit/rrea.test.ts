// The RREA layer (src/engine/nn/rrea.ts): its relation graph from a triple index (relation sets per
// pair of rows, inverses, no self-loops), and its forward and backward passes — on the native kernels
// where built — against the same layer written in plain tfjs ops and against finite differences
// (rrea-checks.ts; rrea-typescript.test.ts runs them on the TypeScript kernels), the native kernels
// against the TypeScript ones, and the rows split over threads.
import { beforeAll, describe, expect, it } from 'vitest';
import { tripleCsr } from '../../src/engine/data/csr';
import { rreaLayer } from '../../src/engine/nn/ops';
import { relationGraph, relationSets, rreaBackwardRowsTs, rreaForwardRowsTs, type RreaBackwardTask, type RreaForwardTask } from '../../src/engine/nn/rrea';
import { checkAgainstPlainOps, checkFiniteDifferences, randomGraph } from './rrea-checks';
import { nativeAddonPath, nativeKernels } from '../../src/engine/runtime/native';
import { skipWithout } from '../helpers';
import { mulberry32 } from '../../src/engine/random';
import { kernelThreads, setKernelThreads, workerCount } from '../../src/engine/runtime/pool';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('cpu'); // the backend whose gather and segment sums have gradients
});

describe('RREA', () => {
  it('builds one edge per pair of rows with its relation set, inverses offset, no self-loops', () => {
    // (0 r0 1), (0 r1 1), (1 r0 2), (2 r1 2) a self-loop, (3 r0 0); R = 2
    const g = relationGraph(
      4,
      tripleCsr(4, [Int32Array.from([0, 0, 1, 0, 1, 1, 1, 0, 2, 2, 1, 2, 3, 0, 0])], (id) => id),
    );
    const edges = (i: number) =>
      Array.from({ length: g.indptr[i + 1]! - g.indptr[i]! }, (_, k) => {
        const e = g.indptr[i]! + k;
        return [g.src[e]!, Array.from(g.setRels.subarray(g.setPtr[g.set[e]!]!, g.setPtr[g.set[e]! + 1]!))];
      });
    expect(edges(0)).toEqual([
      [1, [0, 1]],
      [3, [2]],
    ]); // 0 is the head of r0, r1 to 1; the tail of r0 from 3
    expect(edges(1)).toEqual([
      [0, [2, 3]],
      [2, [0]],
    ]);
    expect(edges(2)).toEqual([[1, [2]]]); // its self-loop left out
    expect(edges(3)).toEqual([[0, [0]]]);
    expect(g.relations).toBe(4);
    expect(g.setPtr.length - 1).toBe(4); // {0,1}, {2}, {2,3}, {0}: one vector per distinct set
  });

  it('gives the plain-ops layer’s output and gradients (H, relation table, attention kernel)', checkAgainstPlainOps);

  it('reads a relation table afresh once it has changed (the layers of a step share its set vectors)', () => {
    const g = randomGraph(3, 30, 4, 120);
    const d = 5;
    const rand = mulberry32(8);
    const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
    const H = tf.tensor2d(randn(g.rows * d), [g.rows, d]);
    const k = tf.tensor1d(randn(d));
    const rel = tf.variable(tf.tensor2d(randn(g.relations * d), [g.relations, d]));
    const first = rreaLayer(H, rel, k, g).dataSync();
    expect(rreaLayer(H, rel, k, g).dataSync()).toEqual(first); // the same table: the same layer
    const next = randn(g.relations * d);
    rel.assign(tf.tensor2d(next, [g.relations, d])); // as AdamW updates it
    const after = rreaLayer(H, rel, k, g).dataSync();
    expect(after).not.toEqual(first);
    expect(after).toEqual(rreaLayer(H, tf.tensor2d(next, [g.relations, d]), k, g).dataSync());
    rel.dispose();
  });

  it('matches finite differences of its own forward', checkFiniteDifferences);

  const built = !skipWithout('the native kernels addon (npm run setup builds it)', nativeAddonPath('kernels') !== null);
  it.runIf(built)('runs natively with the TypeScript kernels’ values within float32 tolerance (native/kernels.cc)', () => {
    const g = randomGraph(7, 200, 12, 900);
    const d = 16;
    const rand = mulberry32(4);
    const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
    const H = randn(g.rows * d);
    const sets = relationSets(g, randn(g.relations * d), d);
    const C = g.setPtr.length - 1;
    const logit = randn(C);
    const fwd = () => ({ g, H, d, r: sets.r, logit, out: new Float32Array(g.rows * d), alpha: new Float32Array(g.src.length) }) as RreaForwardTask;
    const [ts, nat] = [fwd(), fwd()];
    rreaForwardRowsTs(ts, 0, g.rows);
    nativeKernels()!.rreaForwardRows(nat, 0, g.rows);
    // float32 arithmetic against the TypeScript kernels' doubles: each entry within tol of its own
    // size plus 1e-5 of the array's largest (a sum of cancelling terms has no relative precision)
    const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
      const scale = Math.max(...Array.from(b, Math.abs));
      let worst = 0;
      for (let x = 0; x < a.length; x++) worst = Math.max(worst, Math.abs(a[x]! - b[x]!) / (1e-5 * scale + Math.abs(b[x]!)));
      expect(worst).toBeLessThan(tol);
    };
    near(nat.out, ts.out, 1e-4);
    near(nat.alpha, ts.alpha, 1e-5);
    const dOut = randn(g.rows * d);
    const bwd = () =>
      ({ g, H, d, r: sets.r, out: ts.out, alpha: ts.alpha, dOut, acc: { dH: new Float32Array(g.rows * d), dr: new Float32Array(C * d), dlogit: new Float64Array(C) } }) as RreaBackwardTask;
    const [tb, nb] = [bwd(), bwd()];
    rreaBackwardRowsTs(tb, 0, g.rows);
    nativeKernels()!.rreaBackwardRows(nb, 0, g.rows);
    // dH, dr and dlogit are sums of many edges' float32 terms, which cancel
    near(nb.acc.dH, tb.acc.dH, 1e-3);
    near(nb.acc.dr, tb.acc.dr, 1e-3);
    near(nb.acc.dlogit, tb.acc.dlogit, 1e-3);
    expect(Math.max(...Array.from(tb.acc.dH, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('splits a large graph’s rows over the kernel threads with the one-thread values (backward sums merged)', () => {
    const g = randomGraph(8, 3000, 20, 40000);
    const d = 8;
    const rand = mulberry32(5);
    const randn = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
    const H = tf.tensor2d(randn(g.rows * d), [g.rows, d]);
    const rel = tf.tensor2d(randn(g.relations * d), [g.relations, d]);
    const k = tf.tensor1d(randn(d));
    const w = tf.tensor2d(randn(g.rows * d), [g.rows, d]);
    const grads = () =>
      tf
        .grads((h: tf.Tensor, r: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.mul(rreaLayer(h as tf.Tensor2D, r as tf.Tensor2D, kk as tf.Tensor1D, g), w)))([H, rel, k])
        .map((t) => Array.from(t.dataSync()));
    const threads = kernelThreads();
    try {
      setKernelThreads(1);
      const one = grads();
      setKernelThreads(2);
      expect(workerCount()).toBe(1);
      const two = grads();
      one.forEach((a, n) => a.forEach((x, i) => expect(two[n]![i]!).toBeCloseTo(x, 4)));
    } finally {
      setKernelThreads(threads);
    }
  });
});
