// Every registered model on the native kernels (conformance.ts).
import { describe, expect } from 'vitest';
import { kernelImplementation, nativeAddonPath, nativeDense } from '../../src/engine/runtime/native';
import { skipWithout } from '../helpers';
import { conformanceSuite } from './conformance';

const built = !skipWithout('the native addons (npm run setup builds them: a C++ compiler and Node headers)', nativeAddonPath('kernels') !== null && nativeAddonPath('dense') !== null);

describe.runIf(built)('model conformance, native kernels', () => {
  conformanceSuite('native', () => {
    expect(kernelImplementation()).toBe('native');
    expect(nativeDense()).not.toBeNull();
  });
});
