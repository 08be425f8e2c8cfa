// The tensor backend as runtime/tf.ts sets it up: on wasm, Identity (through which the engine clones
// every tensor saved for a backward pass) shares the input's buffer instead of copying it, and the
// buffer lives until the last tensor on it is disposed.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the wasm backend', () => {
  it('clones by sharing the buffer, which outlives the first of its tensors disposed', () => {
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId); // no copy
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });

  it('keeps gradients right and frees every saved tensor after a backward pass', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([0.5, -1, 2, 0.1], [2, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), tf.exp(t))))(x);
    const xs = Array.from(x.dataSync());
    const want = xs.map((v) => (1 - Math.tanh(v) ** 2) * Math.exp(v) + Math.tanh(v) * Math.exp(v));
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    tf.dispose([x, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
