// Ranks of gold pairs (issue 21): the gold candidate never counts as ranking above itself, on either
// similarity kernel (native and tfjs), with CSLS and without; exact ties rank as a stable sort of the
// papers' code ranks them (a tied candidate with a lower index first).
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type RankOptions } from '../../src/engine/training/evaluate';
import { nativeAddonPath } from '../../src/engine/runtime/native';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { skipWithout } from '../helpers';

beforeAll(async () => {
  await initBackend('wasm'); // a CPU backend: the native kernel runs where it is built
});

const hasNative = !skipWithout('the native dense addon (built by npm run setup)', nativeAddonPath('dense') !== null);
const KERNELS: RankOptions['kernel'][] = hasNative ? ['auto', 'tfjs'] : ['tfjs'];

/**
 * Left = the identity, so the similarity matrix is whatever `right` holds: S_ij = right[j][i]. The
 * gold of i is i, far the best of its row and column (0.3–0.4 against 0–0.02), and the CSLS penalties
 * (~0.1) have finer float32 steps than the score (~0.45): the exact CSLS score needs more bits than
 * float32 has, as on real data, so a float32 copy of the gold's score rounds (down, for about a third
 * of the pairs here) and the gold would beat it.
 */
function goldFirst(n: number): { left: tf.Tensor2D; right: tf.Tensor2D } {
  let x = 5;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const S = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0.3 + 0.1 * rand() : 0.02 * rand())));
  const right = tf.tensor2d(
    Array.from({ length: n }, (_, j) => S.map((row) => row[j]!)),
    [n, n],
  );
  return { left: tf.eye(n) as tf.Tensor2D, right };
}

describe('rank of a gold pair', () => {
  for (const kernel of KERNELS) {
    for (const csls of [0, 3]) {
      it(`is 1 for every pair when each gold is its row's and column's best (${kernel === 'auto' ? 'native' : 'tfjs'} kernel, CSLS ${csls})`, async () => {
        const { left, right } = goldFirst(300);
        const gold = Int32Array.from({ length: 600 }, (_, k) => k >> 1);
        const m = await evaluate(left, right, gold, { csls, kernel, blockRows: 128 });
        for (const d of [m.l2r, m.r2l]) expect([d.hits1, d.mr, d.mrr]).toEqual([1, 1, 1]);
        tf.dispose([left, right]);
      });
    }
  }

  it.each(KERNELS)('with exact ties, counts the tied candidates of lower index above the gold (%s)', async (kernel) => {
    const n = 40;
    const row = Float32Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0));
    const same = tf.tensor2d(
      Array.from({ length: n }, () => [...row]),
      [n, 8],
    ); // every score ties
    const gold = Int32Array.from({ length: 2 * n }, (_, k) => k >> 1);
    for (const csls of [0, 3]) {
      const m = await evaluate(same, same, gold, { csls, kernel });
      // pair p ranks 1 + p both ways: H@1 = 1/n, MR = (n + 1) / 2
      for (const d of [m.l2r, m.r2l]) {
        expect(d.hits1).toBeCloseTo(1 / n, 12);
        expect(d.mr).toBeCloseTo((n + 1) / 2, 12);
      }
    }
    same.dispose();
  });
});
