// The tensor library and its backend, chosen at run time: tfjs-node-gpu if it loads (the users' GPU
// workstations), else tfjs-node, else wasm, else the pure-JS cpu backend; `--backend` overrides.
// Model code only uses the `tf` namespace exported here, never a backend's own API.
import * as tf from '@tensorflow/tfjs';
import { nodeRequire } from '../modules';
import { noteBackend } from './kernelPath';

export { tf };

export const BACKENDS = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

let chosen: BackendName | null = null;

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      nodeRequire(`@tensorflow/${name}`); // registers the 'tensorflow' backend on this tfjs
      return await tf.setBackend('tensorflow');
    }
    if (name === 'wasm') {
      nodeRequire('@tensorflow/tfjs-backend-wasm');
      shareOnIdentity();
      return await tf.setBackend('wasm');
    }
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
  const original = tf.getKernel(tf.Identity, 'wasm');
  if (!original || (original as { shares?: boolean }).shares) return;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({
    ...original,
    shares: true,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  } as tf.KernelConfig);
}

/** Picks the backend (once per process) and returns its name. */
export async function initBackend(prefer?: BackendName | 'auto'): Promise<BackendName> {
  if (chosen && (!prefer || prefer === 'auto' || prefer === chosen)) return chosen;
  const order = prefer && prefer !== 'auto' ? [prefer] : [...BACKENDS];
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
 * through the engine's read or readSync) from the first call on. The device path's tests and
 * bench/gpu.mjs read it around a training step, which must make none.
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
