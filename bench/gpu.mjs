#!/usr/bin/env node
// The device path's bench (issue 22): for each backend and kernel path asked, every registered model
// (or --models) trains a few epochs with `mmea train --json`, one process at a time, and the bench
// prints the steady seconds per epoch (the median of the epochs after the first), the most tensor
// reads to the host any training step made (0 on the device path), and the peak RSS. On a GPU
// workstation, `--backends tfjs-node-gpu` gives the GPU row (kernel path auto = device there).
//   npm run build && node bench/gpu.mjs [--data DIR] [--backends cpu:device,wasm:host] [--models a,b]
//        [--epochs N] [--runs DIR]
// --backends: comma-separated backend[:kernel path]; the default compares the host and the device
// path on the backends a machine without a GPU has (cpu:device, cpu:host, wasm:host, and webgpu on
// a software Vulkan such as lavapipe: a row that fails where there is none). --data defaults to the
// bundled demo project's dataset, on which the cpu backend's plain-JavaScript products stay short.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, 'resources', 'demo', 'dataset') },
    backends: { type: 'string', default: 'cpu:device,cpu:host,wasm:host,webgpu:device' },
    models: { type: 'string' },
    epochs: { type: 'string', default: '5' },
    runs: { type: 'string', default: join(root, 'bench-runs', 'gpu') },
  },
});
const cli = join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('build first: npm run build');
  process.exit(1);
}
const models = values.models?.split(',') ?? JSON.parse(spawnSync(process.execPath, [cli, 'models', '--json'], { encoding: 'utf8' }).stdout).map((m) => m.id);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}; data ${values.data}; ${values.epochs} epochs`);
console.log('| model | backend | kernel path | s/epoch (median after the first) | host reads per step (max) | peak RSS MB |');
console.log('|---|---|---|---|---|---|');
for (const spec of values.backends.split(',')) {
  const [backend, kernels = 'auto'] = spec.split(':');
  for (const model of models) {
    const out = join(values.runs, `${model}-${backend}-${kernels}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const args = [cli, 'train', '--data', values.data, '--out', out, '--model', model, '--backend', backend, '--kernels', kernels, '--epochs', values.epochs, '--check-point', values.epochs, '--json'];
    // CLAMEA's epoch is MSNEA's pass over the triples: batches of 128 on the demo, as its conformance run
    if (model === 'clamea' && values.data.includes('demo')) args.push('--transe-batch', '128');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      console.log(`| ${model} | ${backend} | ${kernels} | failed: ${(r.stderr || '').trim().split('\n').at(-1)} | | |`);
      continue;
    }
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1));
    const epochs = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'epoch');
    const steady = median(epochs.slice(1).map((e) => e.seconds));
    console.log(`| ${model} | ${result.backend} | ${result.kernelPath} | ${steady.toFixed(2)} | ${result.hostReadsPerStep} | ${result.peakRssMB} |`);
  }
}
