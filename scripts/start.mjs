#!/usr/bin/env node
// `npm run app`: sets up (first time), builds, and starts MMEA Studio on the bundled demo project:
// an Electron window where the Electron binary and a display exist, browser mode otherwise.
//   npm run app -- [--browser] [--port N] [--project DIR] [--home DIR] [--json] [--help]
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { electronBinary, log, ROOT, run, setup } from './lib.mjs';

const HELP = `usage: npm run app -- [options]
  --browser      browser mode even where Electron could run (prints a URL to open)
  --port N       browser mode's port (default: a free one)
  --project DIR  open this project at start (default: the demo project)
  --home DIR     where the app keeps its projects and settings (default: MMEA_HOME, else
                 ~/.mmea-studio in browser mode, Electron's user-data folder in a window)
  --json         browser mode: print {"url", "port"} as one JSON line
  --no-build     start the last build as it is (a quick restart; the tests, which build once)
  --help         this text
`;
let values;
try {
  ({ values } = parseArgs({
    options: {
      browser: { type: 'boolean', default: false },
      port: { type: 'string' },
      project: { type: 'string' },
      home: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  process.stderr.write(`mmea: ${e.message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
// plain messages for a wrong folder, before minutes of setup
for (const [flag, dir] of [['--project', values.project]]) {
  if (dir === undefined) continue;
  if (!existsSync(dir)) {
    process.stderr.write(`mmea: ${flag} ${dir}: no such folder\n`);
    process.exit(2);
  }
  if (!statSync(dir).isDirectory()) {
    process.stderr.write(`mmea: ${flag} ${dir}: is a file, not a folder\n`);
    process.exit(2);
  }
}
if (values.home !== undefined && existsSync(values.home) && !statSync(values.home).isDirectory()) {
  process.stderr.write(`mmea: --home ${values.home}: is a file, not a folder\n`);
  process.exit(2);
}
if (values.port !== undefined && !/^\d+$/.test(values.port)) {
  process.stderr.write(`mmea: --port must be a number, not ${values.port}\n`);
  process.exit(2);
}

if (setup() !== 0) process.exit(1);
if (!values['no-build'] || !existsSync(join(ROOT, 'out', 'main', 'serve.js'))) {
  log('building…');
  const b = run(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn']);
  if (b.status !== 0) process.exit(b.status);
}

const binary = electronBinary();
const display = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
const passOn = [...(values.project ? ['--project', resolve(values.project)] : []), ...(values.home ? ['--home', resolve(values.home)] : [])];
let child;
if (!values.browser && binary && display) {
  log('starting the Electron app');
  child = spawn(binary, [ROOT, ...passOn], { cwd: ROOT, stdio: 'inherit' });
} else {
  log(binary ? 'no display: starting in browser mode' : 'no Electron binary here: starting in browser mode');
  child = spawn(process.execPath, [join(ROOT, 'out', 'main', 'serve.js'), ...(values.port ? ['--port', values.port] : []), ...(values.json ? ['--json'] : []), ...passOn], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
