#!/usr/bin/env node
// Our matrix product (native/gemm.inc, in each build the machine can run: AVX-512, AVX2 + FMA, SSE)
// beside single-threaded OpenBLAS sgemm (numpy's, or Debian's python3-numpy) on the same shapes: the
// evaluation's similarity block and the loss head's, C = A·Bᵀ. Prints GFLOP/s and our ratio to
// OpenBLAS with the CPU model and the core OpenBLAS chose. Issue 21's target: ≥ 0.8 of OpenBLAS on
// any x86-64 with AVX2 or AVX-512. One thread each, nothing else running.
//   npm run setup && node bench/blas.mjs [--json]
// (OpenBLAS for the bench only: `pip install numpy` or `apt-get install python3-numpy`.)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, worker: { type: 'string' } } });
const here = fileURLToPath(import.meta.url);
const addon = join(dirname(here), '..', 'native', 'build', 'Release', 'mmea_dense.node');
const SHAPES = [
  [512, 512, 900], // a loss head's similarity block (batch 512, joint width 900)
  [1024, 10277, 900], // an evaluation block (1024 rows × every KG2 entity of FB15K-DB15K)
];
const seconds = (f, flops) => {
  f(); // warm-up
  const reps = Math.max(2, Math.min(30, Math.round(3e10 / flops)));
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) f();
  return (performance.now() - t0) / reps / 1000;
};

if (values.worker) {
  // one build of ours (MMEA_GEMM chose it when the addon loaded), in its own process
  const { createRequire } = await import('node:module');
  const dense = createRequire(here)(addon);
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const out = SHAPES.map(([m, n, k]) => {
    const a = Float32Array.from({ length: m * k }, rand);
    const b = Float32Array.from({ length: n * k }, rand);
    const c = new Float32Array(m * n);
    const s = seconds(() => dense.similarityRows({ a, b, n, k, out: c }, 0, m), 2 * m * n * k);
    return (2 * m * n * k) / s / 1e9;
  });
  console.log(JSON.stringify({ isa: dense.isa, gflops: out }));
  process.exit(0);
}

if (!existsSync(addon)) {
  console.error('the native dense kernels are not built: npm run setup');
  process.exit(1);
}
const ours = [];
for (const isa of ['avx512', 'avx2', 'sse']) {
  const r = spawnSync(process.execPath, [here, '--worker', isa], { encoding: 'utf8', env: { ...process.env, MMEA_GEMM: isa } });
  if (r.status !== 0) throw new Error(r.stderr);
  const got = JSON.parse(r.stdout);
  if (got.isa === isa) ours.push(got); // a build this CPU cannot run falls back: not listed twice
}

const PY = `
import sys, time, json, ctypes, glob, os
import numpy as np
def corename():
    base = os.path.dirname(np.__file__)
    for lib in glob.glob(os.path.join(base, '..', 'numpy.libs', '*openblas*')) + glob.glob(os.path.join(base, '..', 'scipy_openblas*', 'lib', '*.so*')):
        try:
            d = ctypes.CDLL(lib)
        except OSError:
            continue
        for name in ('scipy_openblas_get_corename64_', 'scipy_openblas_get_corename', 'openblas_get_corename64_', 'openblas_get_corename'):
            if hasattr(d, name):
                f = getattr(d, name); f.restype = ctypes.c_char_p; return f().decode()
    return None
out = []
for m, n, k in json.loads(sys.argv[1]):
    a = (np.random.rand(m, k) - 0.5).astype(np.float32); b = (np.random.rand(n, k) - 0.5).astype(np.float32)
    a @ b.T
    flops = 2 * m * n * k
    reps = max(2, min(30, round(3e10 / flops)))
    t = time.perf_counter()
    for _ in range(reps): a @ b.T
    out.append(flops / ((time.perf_counter() - t) / reps) / 1e9)
print(json.dumps({'numpy': np.__version__, 'core': corename(), 'gflops': out}))
`;
const py = spawnSync('python3', ['-c', PY, JSON.stringify(SHAPES)], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } });
const blas = py.status === 0 ? JSON.parse(py.stdout) : null;

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const rows = SHAPES.map(([m, n, k], s) => ({
  shape: `${m} × ${n} × ${k}`,
  openblas: blas ? +blas.gflops[s].toFixed(1) : null,
  ours: Object.fromEntries(ours.map((o) => [o.isa, +o.gflops[s].toFixed(1)])),
  ratio: blas ? Object.fromEntries(ours.map((o) => [o.isa, +(o.gflops[s] / blas.gflops[s]).toFixed(2)])) : null,
}));
if (values.json) console.log(JSON.stringify({ cpu, openblas: blas && { numpy: blas.numpy, core: blas.core }, rows }));
else {
  console.log(
    `${cpu}; OpenBLAS ${blas ? `(numpy ${blas.numpy}, core ${blas.core ?? '?'})` : 'not found: pip install numpy (or apt-get install python3-numpy) for the reference'}; one thread each; GFLOP/s (ratio to OpenBLAS)`,
  );
  console.log(`| shape | OpenBLAS | ${ours.map((o) => `ours ${o.isa}`).join(' | ')} |`);
  console.log(`|---|---|${ours.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.shape} | ${r.openblas ?? '—'} | ${ours.map((o) => `${r.ours[o.isa]}${r.ratio ? ` (${r.ratio[o.isa]})` : ''}`).join(' | ')} |`);
}
