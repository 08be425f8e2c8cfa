// Every registered model's training step on the device path, on each device backend here: the tfjs
// cpu backend and webgpu (Dawn on lavapipe's software Vulkan where installed: .ci/run does). Steps
// read nothing back to the host, and two epochs on webgpu give the cpu backend's losses (the same
// seeds draw the same initial values: tfjs draws them in JavaScript on every backend). The full
// conformance suite runs on the cpu backend's device path (conformance-device.test.ts); on webgpu the
// evaluation is not run: it reads its similarity blocks synchronously, which tfjs-backend-webgpu
// cannot do outside a browser.
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, type Features } from '../../src/engine/features/build';
import { setKernelPath } from '../../src/engine/runtime/kernelPath';
import { initBackend, webgpuAdapter, type BackendName } from '../../src/engine/runtime/tf';
import { Trainer } from '../../src/engine/training/trainer';
import { MODEL_IDS, optionsOf, type ModelId } from '../../src/shared/models';
import { DEMO_DATASET, skipWithout } from '../helpers';

/** Two epochs: the first's loss is the initial forward, the second's follows one optimizer step.
 *  From the third the backends part ways legitimately: Adam's early steps move each parameter by
 *  about lr · sign(g), so a gradient near zero whose sign differs in the last bits between the GPU's
 *  arithmetic and the CPU's moves a parameter a whole step apart (measured: MEAformer's third-epoch
 *  loss 48.569 on webgpu, 48.419 on cpu, its first two equal to 1e-6). */
const EPOCHS = 2;
/** small settings: the cpu backend's products are plain JavaScript (CLAMEA: a few TransE batches) */
const SMALL: Partial<Record<ModelId, Record<string, unknown>>> = { loginmea: { hidden: 32 }, clamea: { transeBatch: 512 } };

async function losses(backend: BackendName, id: ModelId, features: Features): Promise<{ losses: number[]; reads: number[] }> {
  await initBackend(backend);
  setKernelPath('device');
  const t = new Trainer(features, optionsOf({ model: id, epochs: 30, batchSize: 64, ...SMALL[id] }));
  try {
    const out = { losses: [] as number[], reads: [] as number[] };
    for (let e = 0; e < EPOCHS; e++) {
      out.losses.push(await t.stepAsync());
      out.reads.push(t.stepReads);
    }
    return out;
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

  it.each(MODEL_IDS)(
    '%s: no host read in a step; webgpu gives the cpu backend losses',
    async (id) => {
      const cpu = await losses('cpu', id, features);
      expect(cpu.reads).toEqual(new Array(EPOCHS).fill(0));
      expect(cpu.losses.every(Number.isFinite)).toBe(true);
      if (!webgpu) return; // said by skipWithout above (an error on CI)
      const gpu = await losses('webgpu', id, features);
      expect(gpu.reads).toEqual(new Array(EPOCHS).fill(0));
      gpu.losses.forEach((l, e) => expect(Math.abs(l - cpu.losses[e]!), `${gpu.losses} vs ${cpu.losses}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(cpu.losses[e]!))));
    },
    300_000,
  );
});
