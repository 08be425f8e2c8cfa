// The RREA layer's checks on the TypeScript kernels (MMEA_NATIVE=0: the path without the addon):
// against plain tfjs ops and finite differences, as rrea.test.ts runs them on the native kernels.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { kernelImplementation } from '../../src/engine/runtime/native';
import { initBackend } from '../../src/engine/runtime/tf';
import { checkAgainstPlainOps, checkFiniteDifferences } from './rrea-checks';

// before any module loads an addon (they load on first use; worker threads inherit the variable)
vi.hoisted(() => {
  process.env.MMEA_NATIVE = '0';
});

beforeAll(async () => {
  await initBackend('cpu');
});

describe('RREA on the TypeScript kernels', () => {
  it('runs without the native addon', () => expect(kernelImplementation()).toBe('typescript'));
  it('gives the plain-ops layer’s output and gradients (H, relation table, attention kernel)', checkAgainstPlainOps);
  it('matches finite differences of its own forward', checkFiniteDifferences);
});
