#!/usr/bin/env node
// The review's latency budget, checked: verdict key → the next pair's evidence on screen, p95 ≤ 100 ms,
// on the demo and on the 15k-entity FB15K–DB15K project (when ../shared/data is there). It runs the
// review e2e suite (test/e2e/review.test.ts, which measures 40 verdicts on each in headless Chromium
// and writes test-output/e2e/latency-*.json), then checks the figures against the budget: exit 1
// over budget or when a figure is missing. Run it alone (nothing else heavy beside it):
//   npm run build && node bench/review-latency.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const BUDGET_MS = 100;
const out = join(ROOT, 'test-output', 'e2e');
const sets = [
  { name: 'demo', required: true },
  { name: '15k', required: existsSync(join(ROOT, '..', 'shared', 'data', 'mmkb', 'FB15K_DB15K_partialFB')) },
];
for (const s of sets) rmSync(join(out, `latency-${s.name}.json`), { force: true });
const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/e2e/review.test.ts'], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('review-latency: the review e2e suite failed; no figures to check');
  process.exit(1);
}
console.log(`\nreview latency, key press → next evidence on screen (CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores), budget p95 ≤ ${BUDGET_MS} ms`);
let over = false;
for (const s of sets) {
  const file = join(out, `latency-${s.name}.json`);
  if (!existsSync(file)) {
    if (s.required) {
      console.error(`  ${s.name}: no figures (${file} missing)`);
      over = true;
    } else console.log(`  ${s.name}: skipped (no ../shared/data)`);
    continue;
  }
  const f = JSON.parse(readFileSync(file, 'utf8'));
  const ok = f.p95 <= BUDGET_MS;
  over ||= !ok;
  console.log(`  ${s.name.padEnd(5)} ${f.samples} verdicts: p50 ${f.p50.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, max ${f.max.toFixed(1)} ms  ${ok ? 'within budget' : 'OVER BUDGET'}`);
}
process.exit(over ? 1 : 0);
