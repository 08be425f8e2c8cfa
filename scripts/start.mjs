#!/usr/bin/env node
// `npm run app`: sets up (first time), builds, and starts MMEA Studio on the bundled demo project:
// an Electron window where the Electron binary and a display exist, browser mode otherwise.
//   npm run app -- [--browser] [--port N] [--project DIR]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { electronBinary, log, ROOT, run, setup } from './lib.mjs';

const { values } = parseArgs({
  options: {
    browser: { type: 'boolean', default: false },
    port: { type: 'string' },
    project: { type: 'string' },
  },
});

if (setup() !== 0) process.exit(1);
log('building…');
const b = run(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn']);
if (b.status !== 0) process.exit(b.status);

const binary = electronBinary();
const display = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
const passOn = [...(values.project ? ['--project', values.project] : [])];
let child;
if (!values.browser && binary && display) {
  log('starting the Electron app');
  child = spawn(binary, [ROOT, ...passOn], { cwd: ROOT, stdio: 'inherit' });
} else {
  log(binary ? 'no display: starting in browser mode' : 'no Electron binary here: starting in browser mode');
  child = spawn(process.execPath, [join(ROOT, 'out', 'main', 'serve.js'), ...(values.port ? ['--port', values.port] : []), ...passOn], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
