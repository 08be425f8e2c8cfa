// CLAMEA's relational modality (its appendix B.1; models.md "CLAMEA"; MSNEA's model.py, whose code base
// CLAMEA states it builds on): a TransE entity table trained on the relation triples of both graphs,
// L = Σ [γ + f(h, r, t) − f(h', r, t')]₊ with
// f = ‖n(h) + n(r) − n(t)‖², one corrupted triple per positive (its head or its tail, half each,
// replaced by a random entity of the same graph). Rows are taken with ops.takeRows, whose gradient
// is a scatter-add (tf.gather has none on wasm).
import type { Features } from '../../features/build';
import { l2normalize, takeRows } from '../../nn/ops';
import { mulberry32 } from '../../random';
import { tf } from '../../runtime/tf';

/** The relation triples of both graphs as rows: head, dense relation index, tail, and the graph whose
 *  triple list holds it (a swapped triple's head or tail is the other graph's entity). */
export interface Triples {
  head: Int32Array;
  relation: Int32Array;
  tail: Int32Array;
  graph: Uint8Array;
  /** distinct relations */
  relations: number;
}

/**
 * Every triple once (the CSR holds each in both directions; the head's copy is the outgoing one), plus
 * MSNEA's supervised triples (kgs.py generate_sup_relation_triples): for each seed pair (e1, e2), every
 * triple of e1 again with e2 in e1's place, in graph 1's list, and every triple of e2 with e1 in its
 * place, in graph 2's — what ties the two graphs' TransE spaces together (its relations are each
 * graph's own). `seeds`: flat (row1, row2) pairs.
 */
export function triplesOf(f: Features, seeds: Int32Array): Triples {
  const { indptr, neighbours, relations, outgoing } = f.graph;
  const index = new Map<number, number>();
  const rel = (r: number) => {
    let k = index.get(r);
    if (k === undefined) index.set(r, (k = index.size));
    return k;
  };
  const head: number[] = [];
  const relation: number[] = [];
  const tail: number[] = [];
  const graph: number[] = [];
  const seen = new Set<string>();
  const push = (h: number, r: number, t: number, g: number) => {
    const key = `${h} ${r} ${t}`;
    if (seen.has(key)) return; // MSNEA keeps a set of triples
    seen.add(key);
    head.push(h);
    relation.push(r);
    tail.push(t);
    graph.push(g);
  };
  for (let i = 0; i < f.rows; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (outgoing[p]) push(i, rel(relations[p]!), neighbours[p]!, i < f.rows1 ? 0 : 1);
  }
  for (let k = 0; k < seeds.length; k += 2) {
    for (const [from, to] of [
      [seeds[k]!, seeds[k + 1]!],
      [seeds[k + 1]!, seeds[k]!],
    ] as const) {
      const g = from < f.rows1 ? 0 : 1;
      for (let p = indptr[from]!; p < indptr[from + 1]!; p++) {
        const r = rel(relations[p]!);
        if (outgoing[p]) push(to, r, neighbours[p]!, g);
        else push(neighbours[p]!, r, to, g);
      }
    }
  }
  return { head: Int32Array.from(head), relation: Int32Array.from(relation), tail: Int32Array.from(tail), graph: Uint8Array.from(graph), relations: index.size };
}

/** A step's triples and their corruptions. */
export interface TripleSample {
  /** rows of [heads, tails, corrupted heads, corrupted tails], size each */
  rows: Int32Array;
  relation: Int32Array;
}

/** The triples `pick` (indices into `t`) and one corruption each, drawn with `seed`: its head or its
 *  tail (half each) swapped for a random entity of the graph whose list holds the triple (`rows1`:
 *  the first graph's rows are 0..rows1−1). MSNEA also redraws a corruption that is a true triple (up to ten
 *  times); with ~22 triples per entity among ~27,000 a uniform draw lands on one rarely (our estimate:
 *  about 1 in 1,000, not measured), so we do not. */
export function sampleTriples(t: Triples, pick: Int32Array, rows: number, rows1: number, seed: number): TripleSample {
  const draw = mulberry32(seed);
  const size = pick.length;
  const out = new Int32Array(4 * size);
  const relation = new Int32Array(size);
  const entityOf = (g: number) => (g === 0 ? Math.floor(draw() * rows1) : rows1 + Math.floor(draw() * (rows - rows1)));
  for (let k = 0; k < size; k++) {
    const i = pick[k]!;
    const [h, tl] = [t.head[i]!, t.tail[i]!];
    out[k] = h;
    out[size + k] = tl;
    const corruptHead = draw() < 0.5;
    out[2 * size + k] = corruptHead ? entityOf(t.graph[i]!) : h;
    out[3 * size + k] = corruptHead ? tl : entityOf(t.graph[i]!);
    relation[k] = t.relation[i]!;
  }
  return { rows: out, relation };
}

/** The margin loss of a sample over the entity table E (rows × d) and relation table R, summed over
 *  the triples as MSNEA's code sums it. */
export function transeLoss(E: tf.Tensor2D, R: tf.Tensor2D, s: TripleSample, margin: number): tf.Scalar {
  const [h, t, h2, t2] = tf.split(l2normalize(takeRows(E, s.rows)), 4, 0) as tf.Tensor2D[];
  const r = l2normalize(takeRows(R, s.relation));
  const score = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.sum(tf.square(tf.sub(tf.add(a, r), b)), 1);
  const hinge = tf.relu(tf.add(tf.sub(score(h!, t!), score(h2!, t2!)), margin));
  return tf.sum(hinge) as tf.Scalar;
}
