// The native kernels (native/, built by `npm run setup` with node-gyp when a C++ compiler is there),
// each addon loaded once per thread; null when absent or MMEA_NATIVE=0, and the engine then runs
// the same computations in TypeScript (nn/kernels.ts, the GAT rows) or tfjs ops (the models' loss
// heads; training/evaluate.ts, the similarity blocks). The addons also export model code (the ICL/IAL
// loss heads of models/heads/): its typed view lives with that model code, not here.
import { appFile, nodeRequire } from '../modules';
import type { SparseRows } from './layouts';
import { isCpuBackend, onDevice } from './kernelPath';

export { isCpuBackend };

/** native/kernels.cc: the GAT layer's and the RREA layer's row kernels, the same arithmetic as
 *  nn/kernels.ts and nn/rrea.ts. */
export interface NativeKernels {
  gatForwardRows(task: object, i0: number, i1: number): void;
  gatBackwardRows(task: object, i0: number, i1: number): void;
  rreaForwardRows(task: object, i0: number, i1: number): void;
  rreaBackwardRows(task: object, i0: number, i1: number): void;
}

/** The low-rank fusion's inputs: M modalities' rows × H inputs x[m], their per-entity weights a
 *  (rows × M, or null: all 1), the (H + 1) × (R·H) factors F[m], rank weights w. */
export interface LmfTask {
  M: number;
  R: number;
  H: number;
  x: Float32Array[];
  a: Float32Array | null;
  F: Float32Array[];
  w: Float32Array;
}

/** native/dense.cc's generic kernels: the evaluation's similarity rows and the sparse rows × dense
 *  products of sparse inputs (the same addon's loss heads are typed in models/heads/task.ts). */
export interface NativeDense {
  /** rows i0..i1 of a · bᵀ into out (n wide); a: rows × k, b: n × k */
  similarityRows(task: { a: Float32Array; b: Float32Array; n: number; k: number; out: Float32Array }, i0: number, i1: number): void;
  /** rows i0..i1 of kernels.ts spmmForward into task.out */
  spmmRows(task: SparseRows & { W: Float32Array; C: number; out: Float32Array }, i0: number, i1: number): void;
  /** kernels.ts spmmBackward, added into task.dW */
  spmmBack(task: SparseRows & { dOut: Float32Array; C: number; dW: Float32Array }): void;
  /** rows i0..i1 (d wide) of tanh(x) into task.out */
  tanhRows(task: { x: Float32Array; out: Float32Array; d: number }, i0: number, i1: number): void;
  /** rows i0..i1 of the low-rank fusion (nn/lmf.ts) into task.out */
  lmfForwardRows(task: LmfTask & { b: Float32Array; out: Float32Array }, i0: number, i1: number): void;
  /** rows i0..i1 of the low-rank fusion's gradients: dx[m]'s and da's rows written, dF[m] and dw added into */
  lmfBackwardRows(task: LmfTask & { dy: Float32Array; dx: Float32Array[]; da: Float32Array; acc: { dF: Float32Array[]; dw: Float64Array } }, i0: number, i1: number): void;
  /** the build of the matrix product chosen for this CPU when the addon loaded: avx512, avx2, sse, generic */
  readonly isa: string;
}

const ADDONS = { kernels: 'mmea_kernels', dense: 'mmea_dense' } as const;
type Addon = keyof typeof ADDONS;
const loaded: Partial<Record<Addon, unknown>> = {};

/** Where a built addon is, or null. */
export function nativeAddonPath(addon: Addon = 'kernels'): string | null {
  return appFile(`native/build/Release/${ADDONS[addon]}.node`);
}

function load<T>(addon: Addon): T | null {
  if (addon in loaded) return loaded[addon] as T | null;
  loaded[addon] = null;
  const path = process.env.MMEA_NATIVE === '0' ? null : nativeAddonPath(addon);
  if (path) {
    try {
      loaded[addon] = nodeRequire(path);
    } catch {
      // built for another platform or Node: the TypeScript / tfjs versions run instead
    }
  }
  return loaded[addon] as T | null;
}

export function nativeKernels(): NativeKernels | null {
  return load<NativeKernels>('kernels');
}

export function nativeDense(): NativeDense | null {
  return load<NativeDense>('dense');
}

/** Whether the host kernels run: a CPU backend, and the kernel path not forced to 'device'
 *  (runtime/kernelPath.ts). Then the native dense kernels and the kernel workers take work. */
export function hostKernelsOn(backend: string | null): backend is 'wasm' | 'cpu' {
  return isCpuBackend(backend) && !onDevice();
}

/** The native dense kernels when they are built and the host kernels run on `backend`, else null. */
export function nativeDenseOn(backend: string | null): NativeDense | null {
  return hostKernelsOn(backend) ? nativeDense() : null;
}

/** 'native' or 'typescript': which GAT kernels this process runs (printed and recorded by runs). */
export function kernelImplementation(): 'native' | 'typescript' {
  return nativeKernels() ? 'native' : 'typescript';
}
