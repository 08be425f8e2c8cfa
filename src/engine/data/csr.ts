// The adjacency of relation triples in both directions, as compressed sparse rows: for row i,
// edges indptr[i]..indptr[i+1] give the other end, the relation id, and whether i is the head.
// Used by the project's graph index (per graph) and by the structure features (both graphs).
export interface TripleCsr {
  indptr: Int32Array;
  neighbours: Int32Array;
  relations: Int32Array;
  outgoing: Uint8Array;
}

/** `triples` are flat (head, relation, tail) ids; `rowOf` maps an entity id to its row in 0..rows-1. */
export function tripleCsr(rows: number, triples: Int32Array[], rowOf: (id: number) => number): TripleCsr {
  let edges = 0;
  for (const t of triples) edges += (t.length / 3) * 2;
  const deg = new Int32Array(rows + 1);
  for (const t of triples) {
    for (let k = 0; k < t.length; k += 3) {
      deg[rowOf(t[k]!) + 1]!++;
      deg[rowOf(t[k + 2]!) + 1]!++;
    }
  }
  const indptr = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) indptr[i + 1] = indptr[i]! + deg[i + 1]!;
  const fill = indptr.slice(0, rows);
  const neighbours = new Int32Array(edges);
  const relations = new Int32Array(edges);
  const outgoing = new Uint8Array(edges);
  for (const t of triples) {
    for (let k = 0; k < t.length; k += 3) {
      const h = rowOf(t[k]!);
      const r = t[k + 1]!;
      const tail = rowOf(t[k + 2]!);
      let p = fill[h]!++;
      neighbours[p] = tail;
      relations[p] = r;
      outgoing[p] = 1;
      p = fill[tail]!++;
      neighbours[p] = h;
      relations[p] = r;
    }
  }
  return { indptr, neighbours, relations, outgoing };
}
