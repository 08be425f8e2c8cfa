// CLUB (methods.md §1.2): the upper bound against the formula computed by hand from the nets'
// weights, its gradient (through the row permutation) against central differences, and the
// estimator's own steps lowering its negative log-likelihood.
import { beforeAll, describe, expect, it } from 'vitest';
import { Club, clubDraw } from '../../src/engine/models/humea/club';
import { initBackend, tf } from '../../src/engine/runtime/tf';

beforeAll(async () => {
  await initBackend('cpu');
});

const H = 4;
const z1 = () =>
  tf.tensor2d([
    [0.5, -1, 0.2, 0],
    [1, 0.3, -0.4, 0.8],
    [-0.6, 0.1, 0.9, -0.2],
  ]);
const z2 = () =>
  tf.tensor2d([
    [0.1, 0.4, -0.3, 0.7],
    [-0.9, 0.2, 0.5, 0.1],
    [0.3, -0.8, 0.6, 0.4],
  ]);
const perm = Int32Array.from([2, 0, 1]);

/** μ and logvar of row z by hand from the net's weights (Linear·ReLU·Linear, tanh for logvar). */
function byHand(club: Club, m: string, z: number[]): { mu: number[]; logvar: number[] } {
  const get = (n: string) => club.params.get(n)!.arraySync() as number[][] | number[];
  const lin = (x: number[], W: number[][], b: number[]) => b.map((bj, j) => bj + x.reduce((s, xi, i) => s + xi * W[i]![j]!, 0));
  const mlp = (a: string, b: string) =>
    lin(
      lin(z, get(`${m}.${a}.W`) as number[][], get(`${m}.${a}.b`) as number[]).map((v) => Math.max(0, v)),
      get(`${m}.${b}.W`) as number[][],
      get(`${m}.${b}.b`) as number[],
    );
  return { mu: mlp('mu1', 'mu2'), logvar: mlp('lv1', 'lv2').map(Math.tanh) };
}

describe('CLUB', () => {
  it('computes the upper bound of the reference formula', () => {
    const club = new Club(['rel'], H, 1, 't1');
    const a = z1().arraySync();
    const b = z2().arraySync();
    let expected = 0;
    a.forEach((row, n) => {
      const { mu, logvar } = byHand(club, 'rel', row);
      const pos = mu.reduce((s, u, d) => s - (u - b[n]![d]!) ** 2 / Math.exp(logvar[d]!), 0);
      const neg = mu.reduce((s, u, d) => s - (u - b[perm[n]!]![d]!) ** 2 / Math.exp(logvar[d]!), 0);
      expected += (pos - neg) / 2 / a.length;
    });
    expect(club.upperBound('rel', z1(), z2(), perm).dataSync()[0]).toBeCloseTo(expected, 5);
    club.dispose();
  });

  it('differentiates through the row permutation (central differences)', () => {
    const club = new Club(['att'], H, 2, 't2');
    const f = (x: tf.Tensor2D, y: tf.Tensor2D) => club.upperBound('att', x, y, perm).dataSync()[0]!;
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => club.upperBound('att', x as tf.Tensor2D, y as tf.Tensor2D, perm))([z1(), z2()]);
    const base = [z1().arraySync(), z2().arraySync()];
    const h = 1e-2;
    for (let k = 0; k < 2; k++) {
      const g = grads[k]!.arraySync() as number[][];
      for (let n = 0; n < 3; n++)
        for (let d = 0; d < H; d++) {
          const at = (delta: number) => {
            const v = base.map((m) => m.map((r) => r.slice()));
            v[k]![n]![d]! += delta;
            return f(tf.tensor2d(v[0]!), tf.tensor2d(v[1]!));
          };
          expect(g[n]![d]!).toBeCloseTo((at(h) - at(-h)) / (2 * h), 2);
        }
    }
    club.dispose();
  });

  it('lowers its negative log-likelihood with its own optimizer step', () => {
    const club = new Club(['img'], H, 3, 't3');
    const pairs = new Map([['img', [z1(), z2()] as [tf.Tensor2D, tf.Tensor2D]]]);
    const learn = () => tf.tidy(() => club.learn(pairs).dataSync()[0]!);
    const first = learn();
    let last = first;
    for (let i = 0; i < 20; i++) last = learn();
    expect(last).toBeLessThan(first);
    club.dispose();
  });

  it('draws two distinct experts per modality and a permutation, seeded', () => {
    const a = clubDraw(42, 3, ['rel', 'att', 'img'], 5, 10);
    expect(clubDraw(42, 3, ['rel', 'att', 'img'], 5, 10)).toEqual(a);
    for (const [i, j] of a.pick.values()) {
      expect(i).not.toBe(j);
      expect(Math.max(i, j)).toBeLessThan(5);
    }
    expect([...a.perm].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
