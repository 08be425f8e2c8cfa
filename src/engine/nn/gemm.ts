// a · bᵀ on Float32Arrays through the native dense kernels (native/gemm.inc: the build for this CPU),
// the rows of a split over the kernel threads: for products a model needs outside tfjs's matMul,
// which is several times slower on wasm (docs/benchmarks.md, "Speed"). Null where the native dense
// kernels are not built or the backend is not a CPU one (the caller then uses tfjs ops).
import { nativeDenseOn } from '../runtime/native';
import { shareable, sharedF32, splitRows } from '../runtime/pool';
import { currentBackend } from '../runtime/tf';

/** Whether nativeABt computes here. */
export const nativeGemmOn = (): boolean => nativeDenseOn(currentBackend()) !== null;

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

/** The transpose of a rows × cols row-major matrix (in shared memory when threads run). */
export function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = sharedF32(x.length); // mostly the input of a product split over the threads
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}
