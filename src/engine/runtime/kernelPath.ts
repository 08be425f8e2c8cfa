// Which path the engine's kernels take (below). Apart from runtime/tf.ts so that the kernel workers,
// which read it through runtime/native.ts, do not load tfjs for it.

let backend: string | null = null;

/** runtime/tf.ts tells the backend it picked. */
export function noteBackend(name: string): void {
  backend = name;
}

/** Whether a tensor backend computes on this CPU (wasm, cpu): there the native dense kernels replace
 *  tfjs's products and the kernel workers take batches; a GPU backend keeps its own work. */
export function isCpuBackend(backend: string | null): backend is 'wasm' | 'cpu' {
  return backend === 'wasm' || backend === 'cpu';
}

/**
 * Where the engine's own kernels run (the GAT and RREA layers, the sparse products, the loss heads):
 * 'host' — loops over Float32Arrays (TypeScript, or native where built) that read their tensors to
 * the CPU: the fastest on the CPU backends (wasm, cpu); 'device' — tfjs operations on the backend
 * (nn/device.ts), with no host read inside a training step: what a GPU backend needs; 'auto' — host
 * on a CPU backend, device on any other. 'device' on the cpu backend is how the device path is
 * tested on machines without a GPU.
 */
export const KERNEL_PATHS = ['auto', 'host', 'device'] as const;
export type KernelPath = (typeof KERNEL_PATHS)[number];

let kernelPath: KernelPath = 'auto';

export function setKernelPath(path: KernelPath): void {
  kernelPath = path;
}

/** Whether this process runs the device path (see KERNEL_PATHS). */
export function onDevice(): boolean {
  if (kernelPath !== 'auto') return kernelPath === 'device';
  return backend !== null && !isCpuBackend(backend);
}

/** The path as runs print and record it. */
export function kernelPathName(): 'host' | 'device' {
  return onDevice() ? 'device' : 'host';
}
