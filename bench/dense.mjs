#!/usr/bin/env node
// The native matrix product (native/dense.cc, built by `npm run setup`) on the shapes that matter:
// one loss-head similarity block (512 × 512 × 900) and one evaluation block (1024 × 10,277 × 900),
// on one thread; prints GFLOP/s and the largest error against a double-precision dot product on
// sampled entries. (wasm's tf.matMul does ~40 GFLOP/s here: ../shared/docs/environment.md.)
//   npm run setup && node bench/dense.mjs
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const addon = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'build', 'Release', 'mmea_dense.node');
if (!existsSync(addon)) {
  console.error('the native dense kernels are not built: npm run setup');
  process.exit(1);
}
const dense = createRequire(import.meta.url)(addon);
let seed = 1;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
for (const [m, n, k] of [
  [512, 512, 900],
  [1024, 10277, 900],
]) {
  const a = Float32Array.from({ length: m * k }, rand);
  const b = Float32Array.from({ length: n * k }, rand);
  const out = new Float32Array(m * n);
  dense.similarityRows({ a, b, n, k, out }, 0, m); // warm-up
  const reps = m * n * k > 1e9 ? 3 : 30;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) dense.similarityRows({ a, b, n, k, out }, 0, m);
  const ms = (performance.now() - t0) / reps;
  let err = 0;
  for (let t = 0; t < 500; t++) {
    const i = Math.floor(Math.random() * m);
    const j = Math.floor(Math.random() * n);
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
    err = Math.max(err, Math.abs(s - out[i * n + j]));
  }
  console.log(`${m} × ${n} × ${k}: ${ms.toFixed(2)} ms, ${((2 * m * n * k) / ms / 1e6).toFixed(0)} GFLOP/s on one thread, max |error| ${err.toExponential(1)}`);
}
