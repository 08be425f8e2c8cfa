// Dropping repeated triples without a string per triple: a Set of "h r t" keys costs ~100 bytes a
// triple, which on a file of millions of lines is what ran V8 out of heap. Sorting an index of the
// flat Int32Array costs 4 bytes a triple.

/** `triples` (flat head, relation, tail) without repeats, the first of each kept and the order
 *  unchanged, and how many were dropped. */
export function withoutDuplicateTriples(triples: Int32Array): { kept: Int32Array; duplicates: number } {
  const n = triples.length / 3;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const t = triples;
  // ties broken by position, so the first occurrence leads each run of equal triples
  order.sort((a, b) => t[3 * a]! - t[3 * b]! || t[3 * a + 1]! - t[3 * b + 1]! || t[3 * a + 2]! - t[3 * b + 2]! || a - b);
  const drop = new Uint8Array(n);
  let duplicates = 0;
  for (let k = 1; k < n; k++) {
    const a = order[k - 1]!;
    const b = order[k]!;
    if (t[3 * a] === t[3 * b] && t[3 * a + 1] === t[3 * b + 1] && t[3 * a + 2] === t[3 * b + 2]) {
      drop[b] = 1;
      duplicates++;
    }
  }
  if (duplicates === 0) return { kept: triples, duplicates };
  const kept = new Int32Array((n - duplicates) * 3);
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (drop[i]) continue;
    kept[j++] = t[3 * i]!;
    kept[j++] = t[3 * i + 1]!;
    kept[j++] = t[3 * i + 2]!;
  }
  return { kept, duplicates };
}
