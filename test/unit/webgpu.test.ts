// What runtime/webgpu.ts adds to tfjs-backend-webgpu: AddN within the device's storage-buffer limit
// (tfjs's kernel returned garbage past it, silently), and GPU errors that stop a run instead of
// letting it go on with wrong numbers. On Dawn over lavapipe here; reported as skipped where no
// adapter is (an error on CI: helpers.skipWithout).
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS } from '../../src/engine/features/build';
import { queueEmbeddings } from '../../src/engine/curation/queue';
import { setKernelPath } from '../../src/engine/runtime/kernelPath';
import { initBackend, takeGpuErrors, tf, webgpuAdapter } from '../../src/engine/runtime/tf';
import { Trainer } from '../../src/engine/training/trainer';
import { optionsOf } from '../../src/shared/models';
import { DEMO_DATASET, skipWithout } from '../helpers';

const webgpu = !skipWithout('a WebGPU adapter (the webgpu package and a Vulkan driver; .ci/run installs lavapipe)', (await webgpuAdapter()) !== null);

interface Device {
  limits: { maxStorageBuffersPerShaderStage: number };
  createBuffer(d: { size: number; usage: number }): unknown;
}
const device = () => (tf.backend() as unknown as { device: Device }).device;

describe.skipIf(!webgpu)('the webgpu backend', () => {
  beforeAll(async () => {
    expect(await initBackend('webgpu')).toBe('webgpu');
    takeGpuErrors();
  });

  it('adds more tensors than a kernel may bind (tf.addN) exactly, with no GPU error', async () => {
    const limit = device().limits.maxStorageBuffersPerShaderStage;
    for (const n of [limit - 1, limit, 3 * limit + 2]) {
      const parts = Array.from({ length: n }, (_, k) => tf.tensor1d([k + 1, -(k + 1) / 2, 1 / (k + 1)]));
      const sum = tf.addN(parts);
      const got = Array.from(await sum.data());
      const want = [0, 1, 2].map((c) => parts.reduce((s, _, k) => s + [k + 1, -(k + 1) / 2, 1 / (k + 1)][c]!, 0));
      got.forEach((x, c) => expect(x).toBeCloseTo(want[c]!, 4));
      tf.dispose([sum, ...parts]);
    }
    expect(takeGpuErrors()).toEqual([]);
    // no partial sum is left behind
    const before = tf.memory().numTensors;
    const parts = Array.from({ length: 3 * limit }, () => tf.ones([4]));
    tf.addN(parts).dispose();
    tf.dispose(parts);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops a training run and the review queue at a GPU error, naming it, instead of going on with wrong numbers', async () => {
    setKernelPath('auto');
    const features = buildFeatures(await readDataset(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
    const t = new Trainer(features, optionsOf({ model: 'mclea', epochs: 3 }));
    try {
      await t.step();
      // a validation error as an invalid pipeline makes it: here a buffer with an impossible usage
      device().createBuffer({ size: 16, usage: 0xffffffff });
      await expect(t.step()).rejects.toThrow(/the GPU reported 1 error\(s\) during epoch 2, so its results are wrong; the first: .*BufferUsage/);
      // and the review queue's forward (proposals, a curation round) the same way
      device().createBuffer({ size: 16, usage: 0xffffffff });
      await expect(queueEmbeddings(t)).rejects.toThrow(/the GPU reported 1 error\(s\) during the forward of the review queue/);
    } finally {
      t.dispose();
    }
  });
});
