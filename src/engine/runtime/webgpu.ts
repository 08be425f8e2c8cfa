// The webgpu backend in Node: tfjs-backend-webgpu on Dawn (the `webgpu` package), on any GPU with a
// Vulkan (Metal, D3D12) driver — and on Mesa's software Vulkan, lavapipe, where our tests run it.
// What tfjs-backend-webgpu 4.22 lacks, and we add here:
// - AddN within the device's storage-buffer limit. Its AddN binds one storage buffer per input; past
//   the device's maxStorageBuffersPerShaderStage (8 by default: one is the output's) the pipeline is
//   invalid and the kernel silently returns a wrong sum (of 8 inputs, the first 7's here) — so did
//   tf.addN of the 22 gradients a MEAformer step clips by their joint norm, and MEAformer learnt a
//   third as well on webgpu as on the CPU. Its Concat splits its inputs so (tfjs PR #6532); AddN
//   never did.
// - Errors made loud. Dawn reports an invalid pipeline or buffer as an "uncaptured error" and the
//   backend carries on with wrong numbers; we collect them, and the trainer and the review queue
//   stop on one (checkGpuErrors).
import * as tf from '@tensorflow/tfjs';
import { nodeRequire } from '../modules';
import { replaceKernel } from './replaceKernel';

let adapterInfo: string | null = null;

/**
 * Installs Dawn's WebGPU as navigator.gpu (what tfjs-backend-webgpu reads; Node has no WebGPU of its
 * own) and asks it for an adapter: a GPU through Vulkan, or lavapipe's software one. Returns the
 * adapter's description, or null (no `webgpu` package, no Vulkan driver, or an adapter Dawn refuses:
 * Debian 12's own lavapipe, Mesa 22.3, lacks a feature Dawn needs; bookworm-backports' 25.0 has it).
 */
export async function webgpuAdapter(): Promise<string | null> {
  if (adapterInfo) return adapterInfo;
  try {
    const dawn = nodeRequire('webgpu') as { create(flags: string[]): { requestAdapter(): Promise<{ info?: { description?: string; vendor?: string } } | null> }; globals: object };
    Object.assign(globalThis, dawn.globals); // GPUBufferUsage and the other constants the backend uses
    const gpu = dawn.create([]);
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav && !('gpu' in nav)) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.version}` }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    adapterInfo = adapter.info?.description || adapter.info?.vendor || 'unknown adapter';
    return adapterInfo;
  } catch {
    return null;
  }
}

interface WebgpuBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number }; addEventListener(type: 'uncapturederror', fn: (e: { error: { message: string } }) => void): void };
  disposeData(dataId: object): void;
}

const gpuErrors: string[] = [];
const listening = new WeakSet<object>();

/** The GPU errors reported since the last call (and forgets them). */
export function takeGpuErrors(): string[] {
  return gpuErrors.splice(0);
}

/** Throws on a GPU error reported since the last check: the numbers after one cannot be trusted.
 *  `during` says what ran (an epoch, an evaluation). */
export function checkGpuErrors(during: string): void {
  const errors = takeGpuErrors();
  if (errors.length > 0)
    throw new Error(
      `the GPU reported ${errors.length} error(s) during ${during}, so its results are wrong; the first: ${errors[0]!.split('\n')[0]} (train on another backend, and report it with the command that made it)`,
    );
}

/** What the webgpu backend needs from us once it is set (see the top of this file). */
export function prepareWebgpu(): void {
  const backend = tf.backend() as unknown as WebgpuBackend;
  if (!listening.has(backend.device)) {
    listening.add(backend.device);
    backend.device.addEventListener('uncapturederror', (e) => gpuErrors.push(e.error.message));
  }
  boundedAddN(backend.device.limits.maxStorageBuffersPerShaderStage - 1);
}

/** AddN of at most `most` inputs per kernel: a tree of partial sums, the intermediate ones freed. */
function boundedAddN(most: number): void {
  replaceKernel(tf.AddN, 'webgpu', (original) => (args) => {
    let level = args.inputs as unknown as tf.TensorInfo[];
    if (level.length <= most) return original.kernelFunc(args);
    const partial: tf.TensorInfo[] = [];
    const sum = (inputs: tf.TensorInfo[]) => original.kernelFunc({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    while (level.length > most) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < level.length; i += most) {
        const chunk = level.slice(i, i + most);
        if (chunk.length === 1) next.push(chunk[0]!);
        else {
          const s = sum(chunk);
          partial.push(s);
          next.push(s);
        }
      }
      level = next;
    }
    const out = sum(level);
    const backend = args.backend as unknown as WebgpuBackend;
    for (const t of partial) backend.disposeData(t.dataId);
    return out;
  });
}
