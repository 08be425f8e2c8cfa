// a · bᵀ on Float32Arrays through the native dense kernels (native/gemm.inc: the build for this CPU),
// the rows of a split over the kernel threads: for products a model needs outside tfjs's matMul,
// which is several times slower on wasm (docs/benchmarks.md, "Speed"). Null where the native dense
// kernels are not built or the backend is not a CPU one (the caller then uses tfjs ops).
import { nativeDenseOn } from '../runtime/native';
import { kernelThreads, sharedF32, splitRows } from '../runtime/pool';
import { currentBackend } from '../runtime/tf';

/** Whether nativeABt computes here. */
export const nativeGemmOn = (): boolean => nativeDenseOn(currentBackend()) !== null;

/** `x` in memory the kernel threads can read (a copy unless it is already shared, or one thread). */
function shareable(x: Float32Array): Float32Array {
  if (kernelThreads() === 1 || x.buffer instanceof SharedArrayBuffer) return x;
  const out = sharedF32(x.length);
  out.set(x);
  return out;
}

/** a (m × k) times the transpose of b (n × k): m × n, row-major; null without the native kernels. */
export function nativeABt(a: Float32Array, b: Float32Array, n: number, k: number): Float32Array | null {
  const dense = nativeDenseOn(currentBackend());
  if (!dense) return null;
  const m = a.length / k;
  const out = sharedF32(m * n);
  const task = { a: shareable(a), b: shareable(b), n, k, out };
  splitRows(m, 64, 'similarityRows', task, (i0, i1) => dense.similarityRows(task, i0, i1));
  return out;
}

/** The transpose of a rows × cols row-major matrix. */
export function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}
