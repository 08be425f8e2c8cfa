// The native GAT row kernels (native/kernels.cc, built by `npm run setup` with node-gyp when a C++
// compiler is there), loaded once per thread; null when absent or MMEA_NATIVE=0, and kernels.ts
// then runs its TypeScript loops, which compute the same thing.
import { appFile, nodeRequire } from '../modules';

export interface NativeKernels {
  gatForwardRows(task: object, i0: number, i1: number): void;
  gatBackwardRows(task: object, i0: number, i1: number): void;
}

let loaded: NativeKernels | null | undefined;

/** Where the built addon is, or null. */
export function nativeAddonPath(): string | null {
  return appFile('native/build/Release/mmea_kernels.node');
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
