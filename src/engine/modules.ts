// Finding our own files and Node modules the same way from the bundle (out/main, out/main/chunks),
// from the sources (tests) and from the Electron app: one place instead of a copy per caller.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** CommonJS require in the bundle, one made from this module's URL when running as ESM (tests). */
export const nodeRequire: NodeRequire = typeof require === 'function' ? require : createRequire(import.meta.url);

let root: string | null | undefined;

/** The app's root: the nearest folder above this module with a package.json. */
function appRoot(): string | null {
  if (root !== undefined) return root;
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  root = null;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) return root;
    dir = up;
  }
}

/** `rel` (a path inside the app, e.g. out/main/kernelWorker.js) when it exists, else null. */
export function appFile(rel: string): string | null {
  const r = appRoot();
  const p = r === null ? null : join(r, rel);
  return p !== null && existsSync(p) ? p : null;
}
