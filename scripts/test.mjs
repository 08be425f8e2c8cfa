#!/usr/bin/env node
// `npm test`: every test. Sets up when needed (and Debian's Chromium for the end-to-end tests,
// when running as root on Debian), lints (ESLint) and checks the formatting (Prettier; `npm run
// format` fixes it), type-checks main, preload, engine and renderer, builds with
// electron-vite, then runs vitest (unit and end-to-end). Exits non-zero on any failure.
//   npm test -- [vitest filters…]
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, ROOT, run, setup } from './lib.mjs';

const bin = (pkg, file) => join(ROOT, 'node_modules', pkg, 'bin', file);
/** What Prettier keeps formatted (package.json's `format` script writes the same). */
const FORMATTED = ['src/**/*.{ts,vue}', 'test/**/*.ts', 'bench/**/*.mjs', 'scripts/**/*.mjs', 'bin/**/*.mjs', '*.{ts,mts,mjs}'];
const timings = [];
function step(name, cmd, args, opts) {
  log(name);
  const r = run(cmd, args, opts);
  timings.push(`${name} ${r.seconds.toFixed(1)} s`);
  if (r.status !== 0) {
    log(`${name} failed`);
    process.exit(r.status || 1);
  }
}

const t0 = Date.now();
if (setup() !== 0) process.exit(1);

const chromium = [process.env.MMEA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));
if (!chromium) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    log('installing Debian chromium for the end-to-end tests');
    step('apt-get update', 'apt-get', ['update', '-qq']);
    step('apt-get install chromium', 'apt-get', ['install', '-y', '-qq', 'chromium'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    log('the end-to-end tests need Chromium: install it (Debian: apt-get install chromium) or set MMEA_CHROMIUM');
    process.exit(1);
  }
}

step('lint', process.execPath, [bin('eslint', 'eslint.js'), '--max-warnings', '0', '.']);
step('format', process.execPath, [bin('prettier', 'prettier.cjs'), '--check', ...FORMATTED]);
step('typecheck (renderer)', process.execPath, [bin('vue-tsc', 'vue-tsc.js'), '--noEmit', '-p', 'tsconfig.web.json']);
step('typecheck (main, preload, engine)', process.execPath, [bin('typescript', 'tsc'), '--noEmit', '-p', 'tsconfig.node.json']);
step('typecheck (tests)', process.execPath, [bin('typescript', 'tsc'), '--noEmit', '-p', 'tsconfig.test.json']);
step('build', process.execPath, [bin('electron-vite', 'electron-vite.js'), 'build', '--logLevel', 'warn']);

mkdirSync(join(ROOT, 'test-output'), { recursive: true });
const report = join(ROOT, 'test-output', 'vitest.json');
log('vitest (unit + end-to-end)');
const v = run(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
timings.push(`vitest ${v.seconds.toFixed(1)} s`);
log(`timings: ${timings.join(', ')}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  if (r.numTotalTests === 0) {
    log('no test ran');
    process.exit(1);
  }
}
process.exit(v.status);
