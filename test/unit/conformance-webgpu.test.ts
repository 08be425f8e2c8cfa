// Every registered model on the device path on webgpu (conformance.ts): tfjs-backend-webgpu on Dawn
// over lavapipe's software Vulkan (.ci/run installs it) — a real GPU backend, with no synchronous
// read outside a browser, so the whole run (steps, evaluations, the curriculum, pseudo-labels,
// proposals, checkpoints) must read the backend asynchronously. Reported as skipped where no adapter
// is (an error on CI: helpers.skipWithout).
import { describe, expect } from 'vitest';
import { kernelPathName } from '../../src/engine/runtime/kernelPath';
import { currentBackend, webgpuAdapter } from '../../src/engine/runtime/tf';
import { skipWithout } from '../helpers';
import { conformanceSuite } from './conformance';

const webgpu = !skipWithout('a WebGPU adapter (the webgpu package and a Vulkan driver; .ci/run installs lavapipe)', (await webgpuAdapter()) !== null);

describe.skipIf(!webgpu)('model conformance, device path (webgpu)', () => {
  conformanceSuite(
    'webgpu device',
    () => {
      expect(currentBackend()).toBe('webgpu');
      expect(kernelPathName()).toBe('device');
    },
    { backend: 'webgpu', kernels: 'auto', deterministic: false, timeoutMs: 20 * 60_000 },
  );
});
