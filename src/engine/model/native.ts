// The native GAT row kernels (native/kernels.cc, built by `npm run setup` with node-gyp when a C++
// compiler is there), loaded once per thread; null when absent or MMEA_NATIVE=0, and kernels.ts
// then runs its TypeScript loops, which compute the same thing.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeKernels {
  gatForwardRows(task: object, i0: number, i1: number): void;
  gatBackwardRows(task: object, i0: number, i1: number): void;
}

const nodeRequire: NodeRequire = typeof require === 'function' ? require : createRequire(import.meta.url);
let loaded: NativeKernels | null | undefined;

/** Where the built addon is: beside the bundle (out/main or out/main/chunks) or the sources. */
export function nativeAddonPath(): string | null {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const rel = join('native', 'build', 'Release', 'mmea_kernels.node');
  return [join(here, '..', '..', rel), join(here, '..', '..', '..', rel)].find((p) => existsSync(p)) ?? null;
}

export function nativeKernels(): NativeKernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.MMEA_NATIVE === '0') return loaded;
  const path = nativeAddonPath();
  if (!path) return loaded;
  try {
    loaded = nodeRequire(path) as NativeKernels;
  } catch {
    loaded = null; // built for another platform or Node: the TypeScript kernels run instead
  }
  return loaded;
}

/** 'native' or 'typescript': which GAT kernels this process runs (printed and recorded by runs). */
export function kernelImplementation(): 'native' | 'typescript' {
  return nativeKernels() ? 'native' : 'typescript';
}
