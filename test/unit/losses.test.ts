// The fused ICL / IAL losses (and the pseudo-label candidates' mutual nearest neighbours): a hand-computed case, and value and gradients equal to the same
// losses written as plain tfjs ops (which tfjs differentiates itself).
import { beforeAll, describe, expect, it } from 'vitest';
import { mutualNearest } from '../../src/engine/training/evaluate';
import { ial, ialTarget, icl, modalityLoss, reference } from '../../src/engine/nn/losses';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('cpu'); // exact float32 reference ops; the same code runs on every backend
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe('ICL', () => {
  it('equals the hand-computed value for two orthogonal pairs', () => {
    // a = b = e1, e2: row 1 of the left block is [1, 0 | masked, 0] / τ
    const a = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const tau = 0.5;
    // −log(e^2 / (e^2 + e^0 + e^0)) for every row, both blocks alike
    const expected = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
    expect(icl(a, a, tau).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('matches the plain-ops loss in value and gradient', () => {
    const a = tf.randomNormal([6, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([6, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const fused = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => icl(x as tf.Tensor2D, y as tf.Tensor2D, 0.1))([a, b]);
    const plain = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => reference.icl(x as tf.Tensor2D, y as tf.Tensor2D, 0.1))([a, b]);
    close(fused.value.dataSync(), plain.value.dataSync());
    close(fused.grads[0]!.dataSync(), plain.grads[0]!.dataSync());
    close(fused.grads[1]!.dataSync(), plain.grads[1]!.dataSync());
  });
});

describe('IAL', () => {
  it('is zero when the unimodal embedding equals the joint', () => {
    const a = tf.randomNormal([5, 3], 0, 1, 'float32', 3) as tf.Tensor2D;
    const b = tf.randomNormal([5, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
    expect(Math.abs(ial(a, b, ialTarget(a, b, 4), 4).dataSync()[0]!)).toBeLessThan(1e-6);
  });

  it('matches the plain-ops KL in value and gradient, with no gradient into the target', () => {
    const a = tf.randomNormal([6, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const b = tf.randomNormal([6, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
    const ja = tf.randomNormal([6, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
    const jb = tf.randomNormal([6, 8], 0, 1, 'float32', 8) as tf.Tensor2D;
    const target = ialTarget(ja, jb, 4);
    const fused = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => ial(x as tf.Tensor2D, y as tf.Tensor2D, target, 4))([a, b]);
    const plain = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => reference.ial(x as tf.Tensor2D, y as tf.Tensor2D, target, 4))([a, b]);
    expect(fused.value.dataSync()[0]).toBeGreaterThan(0);
    close(fused.value.dataSync(), plain.value.dataSync(), 1e-6);
    close(fused.grads[0]!.dataSync(), plain.grads[0]!.dataSync(), 1e-6);
    close(fused.grads[1]!.dataSync(), plain.grads[1]!.dataSync(), 1e-6);
  });
});

describe('automatic loss weighting', () => {
  it('is Σ exp(−s)·L + s', () => {
    const v = reference.autoWeighted([tf.scalar(2), tf.scalar(3)], tf.tensor1d([0, Math.log(2)]));
    expect(v.dataSync()[0]).toBeCloseTo(2 + 1.5 + Math.log(2), 5);
  });

  it('one modality’s fused ICL + IAL with learnable weights equals the weighted plain-ops losses, gradients included', () => {
    const a = tf.randomNormal([6, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
    const b = tf.randomNormal([6, 4], 0, 1, 'float32', 10) as tf.Tensor2D;
    const target = ialTarget(tf.randomNormal([6, 8], 0, 1, 'float32', 11) as tf.Tensor2D, tf.randomNormal([6, 8], 0, 1, 'float32', 12) as tf.Tensor2D, 4);
    const sCl = tf.tensor1d([0.3]);
    const sAl = tf.tensor1d([-0.2]);
    const [cl, al] = [1, 0.1];
    const fused = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor, s1: tf.Tensor, s2: tf.Tensor) => {
      const w1 = tf.reshape(tf.mul(tf.exp(tf.neg(s1)), cl), []) as tf.Scalar;
      const w2 = tf.reshape(tf.mul(tf.exp(tf.neg(s2)), al * al), []) as tf.Scalar;
      const terms = [
        { tau: 0.1, target: null, weight: w1 },
        { tau: 4, target, weight: w2 },
      ];
      return tf.add(modalityLoss(x as tf.Tensor2D, y as tf.Tensor2D, terms), tf.add(tf.mul(tf.sum(s1), cl), tf.mul(tf.sum(s2), al))) as tf.Scalar;
    })([a, b, sCl, sAl]);
    const plain = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor, s1: tf.Tensor, s2: tf.Tensor) => {
      const i = reference.icl(x as tf.Tensor2D, y as tf.Tensor2D, 0.1);
      const k = tf.mul(reference.ial(x as tf.Tensor2D, y as tf.Tensor2D, target, 4), al) as tf.Scalar;
      return tf.add(tf.mul(reference.autoWeighted([i], s1 as tf.Tensor1D), cl), tf.mul(reference.autoWeighted([k], s2 as tf.Tensor1D), al)) as tf.Scalar;
    })([a, b, sCl, sAl]);
    close(fused.value.dataSync(), plain.value.dataSync(), 1e-5);
    for (let k = 0; k < 4; k++) close(fused.grads[k]!.dataSync(), plain.grads[k]!.dataSync(), 1e-5);
  });
});

describe('mutual nearest neighbours', () => {
  it('keeps only the pairs that are each other’s best match', async () => {
    // left 0 ↔ right 1 mutually; left 1's best is right 1 too (taken by left 0, not mutual); left 2 ↔ right 0
    const left = tf.tensor2d([
      [1, 0],
      [0.9, 0.1],
      [0, 1],
    ]);
    const right = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
    expect(Array.from(await mutualNearest(left, right, 2))).toEqual([0, 1, 2, 0]);
  });
});
