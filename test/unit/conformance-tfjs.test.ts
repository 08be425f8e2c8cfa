// Every registered model with MMEA_NATIVE=0 (conformance.ts): every op in tfjs, as on a GPU backend.
import { describe, expect, vi } from 'vitest';
import { kernelImplementation, nativeDense } from '../../src/engine/runtime/native';
import { conformanceSuite } from './conformance';

// before any module loads an addon (they load on first use; worker threads inherit the variable)
vi.hoisted(() => {
  process.env.MMEA_NATIVE = '0';
});

describe('model conformance, tfjs only (MMEA_NATIVE=0)', () => {
  conformanceSuite('tfjs', () => {
    expect(kernelImplementation()).toBe('typescript');
    expect(nativeDense()).toBeNull();
  });
});
