// The curriculum batch grouping (methods.md §1.4): our column-restricted port against a line-by-line
// transcription of the reference's list_rebul_sort (full N×N cosine matrix, full descending sort,
// the id-i row and the j + 1 lookup), and its schedule.
import { beforeAll, describe, expect, it } from 'vitest';
import { curriculumK, curriculumList } from '../../src/engine/training/curriculum';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { mulberry32 } from '../../src/engine/random';

beforeAll(async () => {
  await initBackend('cpu');
});

/** list_rebul_sort as the reference writes it, on plain arrays. */
function literal(list: [number, number][], emb: number[][], k: number): [number, number][] {
  const norm = emb.map((v) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const sim = norm.map((a) => norm.map((b) => a.reduce((s, x, d) => s + x * b[d]!, 0)));
  const inList = (id: number, rows: [number, number][]) => rows.some(([l, r]) => l === id || r === id);
  const out: [number, number][] = [];
  for (let i = 0; i < list.length; i++) {
    const ns: [number, number][] = [list[i]!];
    let count = 0;
    const order = sim[i]!.map((s, j) => [s, j] as const).sort((a, b) => b[0] - a[0]);
    for (const [, j] of order) {
      if (j === i) continue;
      if (inList(j + 1, ns)) continue;
      if (inList(j + 1, list)) {
        ns.push(list.find(([l, r]) => l === j + 1 || r === j + 1)!);
        if (++count === k) break;
      }
    }
    out.push(...ns);
  }
  return out;
}

describe('curriculum grouping', () => {
  it('equals the reference transcription, bugs included', async () => {
    const rand = mulberry32(7);
    const N = 40;
    const emb = Array.from({ length: N }, () => Array.from({ length: 6 }, () => rand() * 2 - 1));
    // 9 pairs between ids 0–19 and 20–39 in a shuffled order; some ids below 9 appear as list rows
    const list: [number, number][] = [
      [3, 25],
      [11, 31],
      [0, 20],
      [17, 38],
      [6, 22],
      [8, 29],
      [14, 33],
      [1, 27],
      [19, 21],
    ];
    const E = tf.tensor2d(emb);
    for (const k of [1, 3, 5]) {
      const ours = await curriculumList(Int32Array.from(list.flat()), E, k, 4); // small blocks: several of them
      expect(Array.from(ours)).toEqual(literal(list, emb, k).flat());
    }
    E.dispose();
  });

  it('groups each pair with k others at most and never repeats a pair inside a group', async () => {
    const rand = mulberry32(3);
    const emb = tf.tensor2d(Array.from({ length: 30 }, () => Array.from({ length: 4 }, () => rand())));
    const list = Int32Array.from([0, 15, 2, 16, 4, 18, 6, 20, 8, 22, 10, 24]);
    const out = await curriculumList(list, emb, 2);
    emb.dispose();
    expect(out.length % 2).toBe(0);
    expect(out.length).toBeGreaterThan(list.length);
    expect(out.length).toBeLessThanOrEqual(3 * list.length);
    const pairs = new Set<string>();
    for (let i = 0; i < list.length; i += 2) pairs.add(`${list[i]},${list[i + 1]}`);
    for (let i = 0; i < out.length; i += 2) expect(pairs.has(`${out[i]},${out[i + 1]}`)).toBe(true);
  });

  it('follows the reference schedule: k = 5…1 at epochs 0, 50, …, 200, then plain pairs', () => {
    expect([0, 50, 100, 150, 200, 250].map((e) => curriculumK(e, 500))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(curriculumK(37, 500)).toBeNull(); // kept between rebuilds
    expect(curriculumK(300, 500)).toBe(0);
    expect(curriculumK(60, 40)).toBe(0); // il_start ends it early
  });
});
