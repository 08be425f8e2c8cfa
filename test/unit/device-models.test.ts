// Every registered model's training step on the device path, on each device backend here: the tfjs
// cpu backend and webgpu (Dawn on lavapipe's software Vulkan where installed: .ci/run does). Steps
// read nothing back to the host; two epochs give the host kernels' losses and test metrics on the
// cpu backend, and on webgpu the cpu backend's losses (the same
// seeds draw the same initial values: tfjs draws them in JavaScript on every backend). The full
// conformance suite runs on both (conformance-device.test.ts, conformance-webgpu.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { setKernelPath, type KernelPath } from '../../src/engine/runtime/kernelPath';
import { initBackend, webgpuAdapter, type BackendName } from '../../src/engine/runtime/tf';
import { Trainer } from '../../src/engine/training/trainer';
import { MODEL_IDS, optionsOf, type ModelId } from '../../src/shared/models';
import { DEMO_DATASET, skipWithout } from '../helpers';

/** Five epochs: MEAformer's and MPSEA's first two are their warm-up's (the learning rate near zero), so
 *  fewer would not see their optimizer steps. Five caught tfjs-backend-webgpu's AddN summing garbage
 *  past 7 inputs (runtime/webgpu.ts): MEAformer's clipped gradients went wrong from the third epoch,
 *  once taken for Adam's sign noise — with it fixed, every backend and path agrees through five. */
const EPOCHS = 5;
/** small settings: the cpu backend's products are plain JavaScript (CLAMEA: a few TransE batches) */
const SMALL: Partial<Record<ModelId, Record<string, unknown>>> = { loginmea: { hidden: 32 }, clamea: { transeBatch: 512 } };

interface Steps {
  losses: number[];
  reads: number[];
  /** test MRR and H@1 after the steps */
  metrics: { mrr: number; hits1: number };
}

async function steps(backend: BackendName, path: KernelPath, id: ModelId, features: Features): Promise<Steps> {
  await initBackend(backend);
  setKernelPath(path);
  const t = new Trainer(features, optionsOf({ model: id, epochs: 30, batchSize: 64, ...SMALL[id] }));
  try {
    const losses: number[] = [];
    const reads: number[] = [];
    for (let e = 0; e < EPOCHS; e++) {
      losses.push(await t.step());
      reads.push(t.stepReads);
    }
    const { mrr, hits1 } = (await t.evaluation()).test!.mean;
    return { losses, reads, metrics: { mrr, hits1 } };
  } finally {
    t.dispose();
  }
}

const adapter = await webgpuAdapter();
const webgpu = !skipWithout('a WebGPU adapter (the webgpu package and a Vulkan driver; .ci/run installs lavapipe)', adapter !== null);

describe('every model steps on the device path', () => {
  let features: Features;
  beforeAll(async () => {
    features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
  });

  /** each model's device-path steps on the cpu backend, for the webgpu test after it */
  const cpuSteps = new Map<ModelId, Steps>();

  it.each(MODEL_IDS)(
    '%s: no host read in a step; the host kernels give the same losses and metrics',
    async (id) => {
      const cpu = await steps('cpu', 'device', id, features);
      cpuSteps.set(id, cpu);
      expect(cpu.reads).toEqual(new Array(EPOCHS).fill(0));
      expect(cpu.losses.every(Number.isFinite)).toBe(true);
      // the host path (the native or TypeScript kernels) on the same backend
      const host = await steps('cpu', 'host', id, features);
      expect(host.reads.every((r) => r > 0)).toBe(true); // they do read their inputs
      host.losses.forEach((l, e) => expect(Math.abs(l - cpu.losses[e]!), `${host.losses} vs ${cpu.losses}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(l))));
      // a rank or two may swap on a near-tie: 240 test pairs, both directions
      expect(Math.abs(host.metrics.mrr - cpu.metrics.mrr)).toBeLessThanOrEqual(0.005);
      expect(Math.abs(host.metrics.hits1 - cpu.metrics.hits1)).toBeLessThanOrEqual(2 / 240);
    },
    300_000,
  );

  // reported as skipped without an adapter (skipWithout makes that an error on CI)
  it.skipIf(!webgpu).each(MODEL_IDS)(
    '%s on webgpu: no host read in a step; the cpu backend losses and metrics',
    async (id) => {
      const cpu = cpuSteps.get(id) ?? (await steps('cpu', 'device', id, features));
      const gpu = await steps('webgpu', 'device', id, features);
      expect(gpu.reads).toEqual(new Array(EPOCHS).fill(0));
      gpu.losses.forEach((l, e) => expect(Math.abs(l - cpu.losses[e]!), `${gpu.losses} vs ${cpu.losses}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(cpu.losses[e]!))));
      // the evaluation on the GPU (its similarity blocks by matMul there, read asynchronously)
      expect(Math.abs(gpu.metrics.mrr - cpu.metrics.mrr)).toBeLessThanOrEqual(0.005);
      expect(Math.abs(gpu.metrics.hits1 - cpu.metrics.hits1)).toBeLessThanOrEqual(2 / 240);
    },
    300_000,
  );
});
