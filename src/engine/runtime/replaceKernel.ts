// Replacing one of a tfjs backend's kernels by ours (runtime/tf.ts and runtime/webgpu.ts say where
// and why each one is replaced).
import * as tf from '@tensorflow/tfjs';

/** Registers `make(original)` as `backend`'s kernel `name` in place of tfjs's, once per process
 *  (the replacement is marked, so a second call leaves it). */
export function replaceKernel(name: string, backend: string, make: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, backend);
  if (!original || (original as { ours?: boolean }).ours) return;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...original, ours: true, kernelFunc: make(original) } as tf.KernelConfig);
}
