// Every registered model on the device path (conformance.ts): the kernel path forced to 'device' on
// the tfjs cpu backend, which has the gathers and segment sums a GPU backend has — every op of a
// training step a tfjs op, and a step reading nothing back to the host, as on the users' GPUs.
import { describe, expect } from 'vitest';
import { kernelPathName } from '../../src/engine/runtime/kernelPath';
import { currentBackend } from '../../src/engine/runtime/tf';
import { conformanceSuite } from './conformance';

describe('model conformance, device path (cpu backend)', () => {
  conformanceSuite(
    'device',
    () => {
      expect(currentBackend()).toBe('cpu');
      expect(kernelPathName()).toBe('device');
    },
    // LoginMEA 64 wide instead of 300: its 300-wide products dominate this backend's plain-JavaScript
    // time, and at 64 it learns as far above chance
    { backend: 'cpu', kernels: 'device', shortRun: { loginmea: { hidden: 64 } }, timeoutMs: 20 * 60_000 },
  );
});
