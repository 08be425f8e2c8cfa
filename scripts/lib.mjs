// Helpers for the setup, start and test scripts. Node built-ins only: these run before
// `npm install` has put anything in node_modules.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'node_modules', '.mmea-setup.json');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export function log(msg) {
  console.log(`[mmea] ${msg}`);
}

/** Runs a command with inherited output; returns { status, seconds }. */
export function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts, env: { ...process.env, ...(opts.env ?? {}) } });
  return { status: r.status ?? 1, seconds: (Date.now() - t0) / 1000 };
}

function lockHash() {
  const lock = join(ROOT, 'package-lock.json');
  const pkg = readFileSync(join(ROOT, 'package.json'));
  return createHash('sha256')
    .update(pkg)
    .update(existsSync(lock) ? readFileSync(lock) : '')
    .digest('hex');
}

/**
 * The path of the Electron binary, or null when it is not installed (offline install, CI). Reads
 * electron's path.txt instead of require('electron'), which would try to download it.
 */
export function electronBinary() {
  const dir = join(ROOT, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const p = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(p) ? p : null;
}

/**
 * Installs the npm dependencies. tfjs-node-gpu's install script downloads libtensorflow from Google
 * storage: offline it fails, and as an optional dependency npm then drops it. Electron (>= 42)
 * downloads its binary on first use rather than at install (older versions did it at install unless
 * ELECTRON_SKIP_BINARY_DOWNLOAD was set, which we still set); we fetch it here in a separate step
 * whose failure only means browser mode.
 */
/**
 * Builds the native kernels (native/: the GAT rows, kernels.cc; the loss heads and similarity rows,
 * dense.cc, its matrix product built once per instruction set and chosen at load) with node-gyp when an addon is missing or older than
 * the sources. Never fatal: without a compiler or Node's headers the engine runs the same
 * computations in TypeScript and tfjs, 2–3× slower. Headers come from npm's `nodedir` setting (this
 * machine's ~/.npmrc) or /usr/include/node, so nothing is downloaded.
 */
export function buildNative() {
  const dir = join(ROOT, 'native');
  const sources = ['kernels.cc', 'dense.cc', 'gemm.inc', 'napi_ctx.h', 'binding.gyp'].map((f) => statSync(join(dir, f)).mtimeMs);
  const outs = ['mmea_kernels', 'mmea_dense'].map((t) => join(dir, 'build', 'Release', `${t}.node`));
  if (outs.every((o) => existsSync(o) && statSync(o).mtimeMs >= Math.max(...sources))) return;
  const gyp = join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) return log('node-gyp is not installed: the kernels run in TypeScript and tfjs');
  const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
  const r = run(process.execPath, [gyp, 'rebuild', '--silent', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
  log(
    r.status === 0 && outs.every((o) => existsSync(o))
      ? `native kernels built in ${r.seconds.toFixed(1)} s`
      : 'the native kernels could not be built (no C++ compiler or Node headers?): they run in TypeScript and tfjs instead ' +
          '(`cd native && node ../node_modules/node-gyp/bin/node-gyp.js rebuild` shows why)',
  );
}

export function setup({ force = false } = {}) {
  if (!force && existsSync(STAMP) && JSON.parse(readFileSync(STAMP, 'utf8')).hash === lockHash()) {
    buildNative();
    return 0;
  }
  const hasLock = existsSync(join(ROOT, 'package-lock.json'));
  log(`installing dependencies (npm ${hasLock ? 'ci' : 'install'})…`);
  const r = run(npm, [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund'], { env: { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  if (r.status !== 0) {
    log('npm install failed');
    return r.status;
  }
  log(`dependencies installed in ${r.seconds.toFixed(1)} s`);
  if (!electronBinary() && process.env.MMEA_SKIP_ELECTRON !== '1') {
    log('fetching the Electron binary…');
    const e = run(process.execPath, [join(ROOT, 'node_modules', 'electron', 'install.js')], {
      env: { ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
      stdio: ['ignore', 'ignore', 'ignore'],
      timeout: 600_000,
    });
    log(e.status === 0 && electronBinary() ? 'Electron binary installed' : 'the Electron binary could not be downloaded (offline? Node < 22.12?): the app will run in browser mode');
  }
  const gpu = existsSync(join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node-gpu'));
  log(gpu ? '@tensorflow/tfjs-node-gpu installed' : '@tensorflow/tfjs-node-gpu not installed (its libtensorflow download failed or was not possible here); the GPU backend is unavailable');
  buildNative();
  writeFileSync(STAMP, JSON.stringify({ hash: lockHash(), at: new Date().toISOString() }));
  return 0;
}
