#!/usr/bin/env node
// The native matrix product (native/dense.cc, built by `npm run setup`) on the shapes that matter:
// one loss-head similarity block (512 × 512 × 900) and one evaluation block (1024 × 10,277 × 900),
// on one thread; prints GFLOP/s and the largest error against a double-precision dot product on
// sampled entries. (wasm's tf.matMul does ~40 GFLOP/s here: ../shared/docs/environment.md.) Then one
// ICL with its gradient (the heads' kernel over one input, models/heads/icl.ts) on the batch shapes
// that matter: 512 pairs × 300 (HUMEA, MCLEA) and 2,312 pairs × 300 and × 900 (MEAformer's
// FB15K-DB15K batch, its modalities and its joint), ms per call on one thread.
//   npm run setup && node bench/dense.mjs
//   MMEA_DENSE_ADDON=<path of another build's mmea_dense.node> node bench/dense.mjs   (side by side)
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const addon = process.env.MMEA_DENSE_ADDON ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'build', 'Release', 'mmea_dense.node');
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

for (const [B, d] of [
  [512, 300],
  [2312, 300],
  [2312, 900],
]) {
  const x = Float32Array.from({ length: 2 * B * d }, rand);
  const inputs = [{ data: x, shape: [2 * B, d] }, ...[1, 0, 0].map((v) => ({ data: Float32Array.of(v), shape: [1] }))];
  // without 7 and 8: the joint's ICL alone, over one input of weight 1 (heads/icl.ts)
  const args = { size: B, options: { tauCl: 0.1, tauAl: 1, clLoss: 1, alLoss: 0, without: [7, 8] }, inputs, value: new Float64Array(1), grads: inputs.map((p) => new Float32Array(p.data.length)) };
  dense.batchHeads(args); // warm-up
  const reps = B > 1000 ? 5 : 30;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) dense.batchHeads(args);
  const ms = (performance.now() - t0) / reps;
  // products: three B × B × d similarities and four B × d × B gradients
  console.log(`ICL of ${B} pairs × ${d}: ${ms.toFixed(1)} ms on one thread (its products ${((14 * B * B * d) / 1e9).toFixed(1)} GFLOP), loss ${args.value[0].toFixed(4)}`);
}
