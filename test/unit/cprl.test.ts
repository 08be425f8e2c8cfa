// MPSEA's CPRL term (models/mpsea/cprl.ts) in both readings: the literal one against the paper's
// equations computed by hand and finite differences; the REINFORCE one leaves the embeddings alone
// and gives the policy the score-function gradient.
import { beforeAll, describe, expect, it } from 'vitest';
import { cprlLoss, type CprlOptions } from '../../src/engine/models/mpsea/cprl';
import { mulberry32 } from '../../src/engine/random';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('wasm');
});

const O: CprlOptions = { theta: 0.63, alpha: 0.34, beta: 0.63, mode: 'literal', seed: 3 };

describe('CPRL', () => {
  it('literal: −mean f·log π(match), with f = max(c − θ, 0) + α e^c − β(θ − c), by hand', () => {
    const J = [
      [1, 0, 1],
      [0.5, -1, 2],
    ];
    const R = [
      [1, 1, 0],
      [0.5, -1, 1],
    ];
    const W = [
      [0.1, -0.2],
      [0.3, 0.0],
      [-0.1, 0.2],
      [0.05, -0.05],
    ];
    const b = [0.01, -0.02];
    const got = tf.tidy(() => cprlLoss(tf.tensor2d(J), tf.tensor2d(R), { W: tf.tensor2d(W), b: tf.tensor1d(b) }, O).dataSync()[0]!);
    let want = 0;
    J.forEach((j, i) => {
      const r = R[i]!;
      const dot = j.reduce((s, x, k) => s + x * r[k]!, 0);
      const c = dot / (Math.hypot(...j) * Math.hypot(...r));
      const mi = Math.exp(c);
      const f = Math.max(c - O.theta, 0) + O.alpha * mi - O.beta * (O.theta - c);
      const state = [...j, mi];
      const z = [0, 1].map((a) => b[a]! + state.reduce((s, x, k) => s + x * W[k]![a]!, 0));
      const logp1 = z[1]! - Math.log(Math.exp(z[0]!) + Math.exp(z[1]!));
      want += -f * logp1;
    });
    expect(got).toBeCloseTo(want / J.length, 5);
  });

  it('literal: its gradients reach the embeddings and the policy, as finite differences say', () => {
    const rand = mulberry32(2);
    const t = (r: number, c: number) =>
      tf.tensor2d(
        Float32Array.from({ length: r * c }, () => rand() * 2 - 1),
        [r, c],
      );
    const [J, R, W] = [t(5, 6), t(5, 6), t(7, 2)];
    const b = tf.tensor1d([0.1, -0.1]);
    const loss = (j: tf.Tensor, r: tf.Tensor, w: tf.Tensor) => cprlLoss(j as tf.Tensor2D, r as tf.Tensor2D, { W: w as tf.Tensor2D, b }, O);
    const grads = tf.grads(loss)([J, R, W]);
    const h = 1e-2;
    [J, R, W].forEach((x, which) => {
      const base = x.dataSync();
      const g = grads[which]!.dataSync();
      for (let k = 0; k < base.length; k++) {
        const at = (d: number) => {
          const moved = Float32Array.from(base);
          moved[k]! += d;
          const args = [J, R, W].map((y, i) => (i === which ? tf.tensor(moved, x.shape) : y));
          return tf.tidy(() => loss(args[0]!, args[1]!, args[2]!).dataSync()[0]!);
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(g[k]! - numeric)).toBeLessThan(0.01 * Math.max(1, Math.abs(numeric)) + 1e-4);
      }
      expect(g.some((v) => Math.abs(v) > 1e-4)).toBe(true);
    });
  });

  it('reinforce: no gradient into the embeddings; the policy gets −mean f ∇log π(a) of seeded draws', () => {
    const rand = mulberry32(4);
    const t = (r: number, c: number) =>
      tf.tensor2d(
        Float32Array.from({ length: r * c }, () => rand() * 2 - 1),
        [r, c],
      );
    const [J, R, W] = [t(6, 3), t(6, 3), t(4, 2)];
    const b = tf.tensor1d([0, 0]);
    const o = { ...O, mode: 'reinforce' as const };
    const loss = (j: tf.Tensor, r: tf.Tensor, w: tf.Tensor) => cprlLoss(j as tf.Tensor2D, r as tf.Tensor2D, { W: w as tf.Tensor2D, b }, o);
    // as variables, the embeddings get no gradient at all
    const vars = [J, R, W].map((x, k) => tf.variable(x, true, `cprl-test-${k}`));
    const { grads } = tf.variableGrads(() => loss(vars[0]!, vars[1]!, vars[2]!), vars);
    expect(Object.keys(grads)).toEqual([vars[2]!.name]);
    const gW = grads[vars[2]!.name]!;
    // the same seed draws the same actions
    expect(loss(J, R, W).dataSync()[0]).toBe(loss(J, R, W).dataSync()[0]);
    // against finite differences in W (steps too small to flip a draw)
    const base = W.dataSync();
    const g = gW.dataSync();
    const h = 1e-3;
    for (let k = 0; k < base.length; k++) {
      const at = (d: number) => {
        const moved = Float32Array.from(base);
        moved[k]! += d;
        return tf.tidy(() => loss(J, R, tf.tensor(moved, W.shape)).dataSync()[0]!);
      };
      expect(g[k]!).toBeCloseTo((at(h) - at(-h)) / (2 * h), 2);
    }
  });
});
