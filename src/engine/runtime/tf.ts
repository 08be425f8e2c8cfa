// The tensor library and its backend, chosen at run time: tfjs-node-gpu if it loads (the users' GPU
// workstations), else tfjs-node, else wasm, else the pure-JS cpu backend; `--backend` overrides.
// webgpu (tfjs-backend-webgpu on Dawn, the `webgpu` package) is never picked by auto: it is the GPU
// route for machines whose CUDA/cuDNN do not match tfjs-node-gpu's, through Vulkan — and, with
// Mesa's software Vulkan (lavapipe), a device backend the test suite runs on machines without a GPU.
// Model code only uses the `tf` namespace exported here, never a backend's own API.
import * as tf from '@tensorflow/tfjs';
import { nodeRequire } from '../modules';
import { noteBackend } from './kernelPath';
import { replaceKernel } from './replaceKernel';
import { checkGpuErrors, prepareWebgpu, takeGpuErrors, webgpuAdapter } from './webgpu';

export { checkGpuErrors, tf, takeGpuErrors, webgpuAdapter };

export const BACKENDS = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** What `auto` tries, in order. */
const AUTO: BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

let chosen: BackendName | null = null;

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      nodeRequire(`@tensorflow/${name}`); // registers the 'tensorflow' backend on this tfjs
      return await tf.setBackend('tensorflow');
    }
    if (name === 'webgpu') {
      if (!(await webgpuAdapter())) return false;
      nodeRequire('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) return false;
      prepareWebgpu();
      return true;
    }
    if (name === 'wasm') {
      nodeRequire('@tensorflow/tfjs-backend-wasm');
      shareOnIdentity();
      return await tf.setBackend('wasm');
    }
    linearSegmentSumOnCpu();
    return await tf.setBackend('cpu');
  } catch {
    return false;
  }
}

/**
 * tfjs-backend-wasm's Identity copies the tensor's bytes, and the engine clones through it every
 * tensor a kernel or a custom gradient saves for the backward pass: a training step copied its large
 * activations over and over (~10 % of a LoginMEA step on FB15K-DB15K). Tensors are immutable and the
 * wasm backend counts references per buffer — its own Reshape shares its input's — so Identity shares
 * the buffer too, as the cpu backend's does. (Strings keep the original kernel.)
 */
function shareOnIdentity(): void {
  replaceKernel(tf.Identity, 'wasm', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

/**
 * tfjs-backend-cpu's UnsortedSegmentSum builds a mask over all N inputs for each of its S segments
 * (O(S·N·d): quadratic in a graph's size for a GAT layer), and the cpu backend is where the
 * device path (nn/device.ts) is tested. Ours is the one pass over the inputs that tfjs-node's and
 * the GPU backends' kernels make; written here because tfjs has no other. Same semantics: ids
 * outside [0, S) are dropped.
 */
function linearSegmentSumOnCpu(): void {
  replaceKernel(tf.UnsortedSegmentSum, 'cpu', () => ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const S = (attrs as { numSegments: number }).numSegments;
    const cpu = backend as unknown as { data: { get(id: object): { values: ArrayLike<number> } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array): tf.TensorInfo };
    const xs = cpu.data.get(x.dataId).values;
    const ids = cpu.data.get(segmentIds.dataId).values;
    const n = ids.length;
    const width = n === 0 ? 0 : xs.length / n; // the product of x's trailing dimensions
    const out = x.dtype === 'int32' ? new Int32Array(S * width) : new Float32Array(S * width);
    for (let i = 0; i < n; i++) {
      const s = ids[i]!;
      if (s < 0 || s >= S) continue;
      const o = s * width;
      const q = i * width;
      for (let c = 0; c < width; c++) out[o + c]! += xs[q + c]!;
    }
    return cpu.makeTensorInfo([S, ...x.shape.slice(segmentIds.shape.length)], x.dtype, out);
  });
}

/** Picks the backend (once per process) and returns its name. */
export async function initBackend(prefer?: BackendName | 'auto'): Promise<BackendName> {
  if (chosen && (!prefer || prefer === 'auto' || prefer === chosen)) return chosen;
  const order = prefer && prefer !== 'auto' ? [prefer] : AUTO;
  for (const name of order) {
    if (await tryBackend(name)) {
      await tf.ready();
      chosen = name;
      noteBackend(name);
      return name;
    }
  }
  throw new Error(`no tensor backend could be loaded (tried ${order.join(', ')})`);
}

/** The backend initBackend picked (null before). */
export function currentBackend(): BackendName | null {
  return chosen;
}

let hostReads = 0;
let counting = false;

/**
 * Counts the tensor reads to the host (dataSync, data, arraySync, array, buffer…: every one goes
 * through the engine's read or readSync) from the first call on. The trainer reads it around each
 * model step (EpochLog.hostReads, hence bench/gpu.mjs's column); on the device path it must not move.
 */
export function hostReadCount(): number {
  if (!counting) {
    counting = true;
    const engine = tf.engine() as unknown as { readSync(id: object): unknown; read(id: object): Promise<unknown> };
    const readSync = engine.readSync.bind(engine);
    const read = engine.read.bind(engine);
    engine.readSync = (id) => (hostReads++, readSync(id));
    engine.read = (id) => (hostReads++, read(id));
  }
  return hostReads;
}
