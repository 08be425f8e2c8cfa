// HUMEA's (and PCMEA's) "curriculum" batch grouping, `list_rebul_sort` (methods.md §1.4), ported
// literally, its apparent bugs included, because the reference's figures were produced with it:
// for list position i it walks the similarity row of the entity whose *id* is i (not pair i's
// entity) and takes the first training row containing id j + 1 (an off-by-one) for the most
// similar j. Our rows are the dataset's ids when ent_ids are numbered 0…N−1 in file order (as in
// every MMKB and DBP15K folder), so the indexing matches the reference there.
// Our own code (the product): instead of the reference's full N×N matrix (3.1 GB on FB15K–DB15K)
// only the columns j whose j + 1 is a training id can ever be taken, so we compute those alone.
import { l2normalize } from '../nn/ops';
import { tf } from '../runtime/tf';

/** The curriculum's schedule at epoch `e` (0-based, before it is trained): the k to rebuild the list
 *  with (0: back to the plain shuffled pairs), or null to keep the current list. */
export function curriculumK(e: number, ilStart: number): number | null {
  if (e > ilStart) return 0;
  if (e % 50 !== 0) return null;
  return Math.max(0, 5 - e / 50);
}

/**
 * The grouped pair list: for each position i of `pairs` (flat left, right rows, in the epoch's
 * shuffled order), pair i, then up to k other training pairs, taken in order of decreasing cosine
 * similarity between entity i and entity j of `emb` (all entities' joint embeddings), each the
 * first training pair containing id j + 1, skipping ids already in the group.
 */
export async function curriculumList(pairs: Int32Array, emb: tf.Tensor2D, k: number, blockRows = 1024): Promise<Int32Array> {
  const n = pairs.length / 2;
  const N = emb.shape[0];
  const firstRow = new Map<number, number>(); // id → first list row containing it
  for (let p = 0; p < n; p++) for (const id of [pairs[2 * p]!, pairs[2 * p + 1]!]) if (!firstRow.has(id)) firstRow.set(id, p);
  const columns = Int32Array.from([...firstRow.keys()].map((id) => id - 1).filter((j) => j >= 0 && j < N)).sort();
  const out: number[] = [];
  if (columns.length === 0 || n === 0) return pairs.slice();
  const right = tf.tidy(() => tf.transpose(tf.gather(l2normalize(emb), columns)) as tf.Tensor2D);
  const visited = new Uint8Array(columns.length);
  const group = new Set<number>();
  try {
    for (let start = 0; start < n; start += blockRows) {
      const end = Math.min(n, start + blockRows, N);
      const block = end > start ? tf.tidy(() => tf.matMul(l2normalize(tf.slice(emb, [start, 0], [end - start, -1])), right)) : null;
      const sims = block ? ((await block.data()) as Float32Array) : new Float32Array(0); // no sync read on webgpu
      block?.dispose();
      for (let i = start; i < Math.min(n, start + blockRows); i++) {
        out.push(pairs[2 * i]!, pairs[2 * i + 1]!);
        group.clear();
        group.add(pairs[2 * i]!).add(pairs[2 * i + 1]!);
        if (i >= N) continue; // no entity has this id: the reference would fail; nothing to add
        const row = sims.subarray((i - start) * columns.length, (i - start + 1) * columns.length);
        visited.fill(0);
        // walk the columns by decreasing similarity; the group has at most 2(k+1) ids, so few are
        // rejected and selecting the next maximum each time beats sorting the whole row
        for (let count = 0, seen = 0; count < k && seen < columns.length; seen++) {
          let best = -1;
          for (let c = 0; c < columns.length; c++) if (!visited[c] && (best < 0 || row[c]! > row[best]!)) best = c;
          visited[best] = 1;
          const j = columns[best]!;
          if (j === i || group.has(j + 1)) continue;
          const p = firstRow.get(j + 1)!;
          out.push(pairs[2 * p]!, pairs[2 * p + 1]!);
          group.add(pairs[2 * p]!).add(pairs[2 * p + 1]!);
          count++;
        }
      }
    }
  } finally {
    right.dispose();
  }
  return Int32Array.from(out);
}
