// The native dense kernels (native/dense.cc) against their tfjs oracles: the loss heads of a batch
// (heads.ts batchLoss: value and the gradient of every input, each ablation switch that changes the
// mathematics, an entity without a modality) and the evaluation's similarity rows (a · bᵀ). They run
// when `npm run setup` could build the addon (a C++ compiler and Node's headers: CI has both).
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchLoss, type HeadOptions } from '../../src/engine/models/heads/loss';
import { batchHeads, type HeadsArgs } from '../../src/engine/models/heads/task';

/** The addon's loss heads (typed with the model code, models/heads/task.ts). */
const nativeHeads = () => nativeDense() as unknown as { batchHeads(a: HeadsArgs): void };
import { spmmBackwardTs, spmmForwardTs, type SparseRows } from '../../src/engine/nn/kernels';
import { nativeGemmOn } from '../../src/engine/nn/gemm';
import { matMul, tanh } from '../../src/engine/nn/ops';
import { nativeAddonPath, nativeDense } from '../../src/engine/runtime/native';
import { kernelThreads, setKernelThreads } from '../../src/engine/runtime/pool';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { mulberry32 } from '../../src/engine/random';
import { skipWithout } from '../helpers';

const rand = mulberry32(7);
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number): void {
  expect(got.length).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > rel * scale + 1e-7) expect.fail(`element ${i}: ${got[i]} vs ${want[i]} (scale ${scale})`);
  }
}

beforeAll(async () => {
  await initBackend('wasm');
});

const built = !skipWithout('the native dense addon (npm run setup builds it: a C++ compiler and Node headers)', nativeAddonPath('dense') !== null);

describe.runIf(built)('the matrix product in each build this CPU runs (native/gemm.inc, chosen at load)', () => {
  it('gives a · bᵀ within float32 rounding of the exact product in the AVX-512, AVX2 and SSE builds alike', () => {
    // each build forced by MMEA_GEMM in its own process; inputs from a fixed generator both sides
    const [rows, n, k] = [37, 301, 517]; // off every register tile and K block
    const gen = (seed: number, len: number) => {
      let x = seed;
      return Float32Array.from({ length: len }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
    };
    const a = gen(3, rows * k);
    const b = gen(5, n * k);
    const child = `
      const d = require(${JSON.stringify(nativeAddonPath('dense'))});
      const gen = ${gen.toString()};
      const out = new Float32Array(${rows * n});
      d.similarityRows({ a: gen(3, ${rows * k}), b: gen(5, ${n * k}), n: ${n}, k: ${k}, out }, 0, ${rows});
      process.stdout.write(JSON.stringify({ isa: d.isa, out: Array.from(out) }));`;
    const seen = new Set<string>();
    for (const isa of ['avx512', 'avx2', 'sse']) {
      const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', env: { ...process.env, MMEA_GEMM: isa }, maxBuffer: 1 << 26 });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as { isa: string; out: number[] };
      seen.add(got.isa);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < n; j += 7) {
          let exact = 0;
          for (let p = 0; p < k; p++) exact += a[i * k + p]! * b[j * k + p]!;
          expect(Math.abs(got.out[i * n + j]! - exact), `${got.isa} (${i}, ${j})`).toBeLessThan(2e-4 * Math.sqrt(k));
        }
    }
    expect(seen.has('sse') || seen.has('generic')).toBe(true); // the baseline always runs
  });
});

describe.runIf(built)('native loss heads and similarity rows (native/dense.cc, built by setup)', () => {
  const B = 9;
  const dims = [6, 11, 4];
  const base: HeadOptions = { tauCl: 0.1, tauAl: 4, clLoss: 1, alLoss: 0.1, without: [] };

  function inputs(): { data: Float32Array; shape: number[] }[] {
    const mods = dims.map((d) => ({ data: randn(2 * B * d), shape: [2 * B, d] }));
    // an entity without the third modality: an all-zero row (normalisation clamps at eps)
    mods[2]!.data.fill(0, 3 * dims[2]!, 4 * dims[2]!);
    const M = dims.length;
    return [...mods, { data: Float32Array.from({ length: M }, () => 0.5 + rand()), shape: [M] }, { data: randn(M, 0.3), shape: [M] }, { data: randn(M, 0.3), shape: [M] }];
  }

  for (const without of [[], [7], [8], [7, 8]]) {
    it(`give batchLoss's value and gradients (without ${JSON.stringify(without)})`, () => {
      const options = { ...base, without };
      const xs = inputs();
      const args: HeadsArgs = { backend: 'wasm', size: B, options, inputs: xs, value: new Float64Array(1), grads: xs.map((x) => new Float32Array(x.data.length)) };
      nativeHeads().batchHeads(args);
      const want = tf.tidy(() => {
        const t = xs.map(({ data, shape }) => tf.tensor(data, shape));
        // + 0·Σ of the loss weights: tfjs refuses the gradient of an input the ablation leaves unused
        const f = (...x: tf.Tensor[]) => tf.add(batchLoss(x, B, options), tf.mul(0, tf.add(tf.sum(x.at(-1)!), tf.sum(x.at(-2)!)))) as tf.Scalar;
        const { value, grads } = tf.valueAndGrads(f)(t);
        return { value: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync() as Float32Array) };
      });
      expect(Number.isFinite(args.value[0])).toBe(true);
      expect(args.value[0]).toBeCloseTo(want.value, 4);
      args.grads.forEach((g, k) => expectClose(g, want.grads[k]!, 2e-4));
      // the gradients are not all zero (the comparison above would pass on two zero arrays)
      expect(Math.max(...args.grads[0]!.map(Math.abs))).toBeGreaterThan(1e-4);
      if (without.includes(7)) expect(Array.from(args.grads[dims.length + 1]!)).toEqual([0, 0, 0]);
    });
  }

  it('run through headsTask.batchHeads on a CPU backend, and reject malformed arguments with an error', () => {
    const xs = inputs();
    const args: HeadsArgs = { backend: 'wasm', size: B, options: base, inputs: xs, value: new Float64Array(1), grads: xs.map((x) => new Float32Array(x.data.length)) };
    batchHeads(args);
    const again = { ...args, value: new Float64Array(1), grads: xs.map((x) => new Float32Array(x.data.length)) };
    nativeHeads().batchHeads(again);
    expect(again.value[0]).toBe(args.value[0]); // the same function, deterministic
    expect(() => nativeHeads().batchHeads({ ...args, size: B + 1 })).toThrow(/rows/);
    expect(() => nativeHeads().batchHeads({ ...args, inputs: xs.slice(0, 3) })).toThrow(/one value per modality|modality/);
  });

  it('compute rows of a · bᵀ as tf.matMul does, for sizes off the register tiles', () => {
    for (const [rows, n, k, i0, i1] of [
      [13, 37, 5, 0, 12],
      [50, 70, 300, 7, 41],
      [3, 200, 129, 1, 2],
    ] as const) {
      const a = randn(rows * k);
      const b = randn(n * k);
      const out = new Float32Array(rows * n).fill(42);
      nativeDense()!.similarityRows({ a, b, n, k, out }, i0, i1);
      const want = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, k]), tf.transpose(tf.tensor2d(b, [n, k]))).dataSync() as Float32Array);
      expectClose(out.subarray(i0 * n, i1 * n), want.subarray(i0 * n, i1 * n), 1e-5);
      expect(out[0 === i0 ? rows * n - 1 : 0]).toBe(42); // rows outside the range untouched
    }
    expect(() => nativeDense()!.similarityRows({ a: randn(4), b: randn(6), n: 3, k: 2, out: new Float32Array(6) }, 0, 3)).toThrow(/sizes/);
  });

  it('compute the sparse rows × dense products of kernels.ts (forward rows, backward sums)', () => {
    // a 7-row CSR matrix over 10 inputs (an empty row among them), rows picked with repeats
    const indptr = Int32Array.from([0, 2, 2, 5, 6, 9, 10, 12]);
    const indices = Int32Array.from([0, 9, 1, 4, 5, 3, 2, 7, 8, 6, 0, 1]);
    const x: SparseRows = { rows: Int32Array.from([3, 1, 0, 6, 2, 2, 5, 4]), indptr, indices, values: randn(12) };
    const C = 37;
    const W = randn(10 * C);
    const out = new Float32Array(x.rows.length * C).fill(9);
    nativeDense()!.spmmRows({ ...x, W, C, out }, 0, x.rows.length);
    expectClose(out, spmmForwardTs(x, W, C), 1e-6);
    expect(Array.from(out.subarray(C, 2 * C))).toEqual(new Array(C).fill(0)); // the empty row
    const dOut = randn(x.rows.length * C);
    const dW = new Float32Array(10 * C);
    nativeDense()!.spmmBack({ ...x, dOut, C, dW });
    expectClose(dW, spmmBackwardTs(x, dOut, 10, C), 1e-6);
    expect(() => nativeDense()!.spmmRows({ ...x, W, C, out: new Float32Array(3) }, 0, 8)).toThrow(/sizes/);
    expect(() => (nativeDense()!.spmmBack as () => void)()).toThrow(/expected \(task\)/);
  });

  it('compute tanh over rows split between two threads, with tf.tanh’s values and gradient (ops.ts tanh)', () => {
    const before = kernelThreads();
    try {
      setKernelThreads(2);
      const x = tf.tensor2d(randn(600 * 7, 3), [600, 7]); // two ranges of at least 256 rows
      const dy = tf.tensor2d(randn(600 * 7), [600, 7]);
      const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tanh(t as tf.Tensor2D), dy)));
      const plain = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), dy)));
      expectClose(tanh(x).dataSync(), tf.tanh(x).dataSync(), 1e-6);
      expectClose(ours(x).dataSync(), plain(x).dataSync(), 1e-6);
      expect(() => nativeDense()!.tanhRows({ x: new Float32Array(6), out: new Float32Array(5), d: 3 }, 0, 2)).toThrow(/sizes/);
    } finally {
      setKernelThreads(before);
    }
  });

  it('run large matrix products (ops.ts matMul) and both their gradients as tf.matMul does, on two threads', () => {
    const before = kernelThreads();
    try {
      setKernelThreads(2);
      // 301 · 300 · 187 multiply–adds: above the native threshold (2^24), sizes off the register tiles
      const [m, k, n] = [301, 300, 187];
      expect(nativeGemmOn()).toBe(true);
      const a = tf.tensor2d(randn(m * k), [m, k]);
      const b = tf.tensor2d(randn(k * n), [k, n]);
      const dy = tf.tensor2d(randn(m * n), [m, n]);
      const grads = (mm: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x as tf.Tensor2D, y as tf.Tensor2D), dy)))([a, b]);
      expectClose(matMul(a, b).dataSync(), tf.matMul(a, b).dataSync(), 1e-5);
      const [ours, plain] = [grads(matMul), grads((x, y) => tf.matMul(x, y))];
      expectClose(ours[0]!.dataSync(), plain[0]!.dataSync(), 1e-5);
      expectClose(ours[1]!.dataSync(), plain[1]!.dataSync(), 1e-5);
    } finally {
      setKernelThreads(before);
    }
  });
});
