// The shared "diag" GAT (methods.md §0.4) over a learnable entity table: its adjacency and the
// encoder HUMEA, MCLEA (and MEAformer, MPSEA) share. The layer's kernels are nn/kernels.ts (and
// native/kernels.cc); this file only wires parameters and layers.
import type { Features } from '../features/build';
import type { AggGraph } from '../runtime/layouts';
import { tf } from '../runtime/tf';
import { gatLayer, type Memo } from './ops';

/** The GAT's adjacency: every undirected neighbour once (h ≠ t) plus a self-loop (methods.md §0.3). */
export function gatGraph(f: Features): AggGraph {
  const { indptr, neighbours } = f.graph;
  const outPtr = new Int32Array(f.rows + 1);
  const idx: number[] = [];
  const seen = new Int32Array(f.rows).fill(-1);
  for (let i = 0; i < f.rows; i++) {
    idx.push(i);
    seen[i] = i;
    const nb: number[] = [];
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = neighbours[p]!;
      if (seen[j] === i) continue;
      seen[j] = i;
      nb.push(j);
    }
    nb.sort((x, y) => x - y);
    for (const j of nb) idx.push(j);
    outPtr[i + 1] = idx.length;
  }
  return { outputs: f.rows, indptr: outPtr, indices: Int32Array.from(idx), self: Int32Array.from({ length: f.rows }, (_, i) => i) };
}

/** The rows `rows` of `g` (repeats allowed), as an AggGraph over the same inputs. */
export function subGraph(g: AggGraph, rows: Int32Array): AggGraph {
  let n = 0;
  for (const r of rows) n += g.indptr[r + 1]! - g.indptr[r]!;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(n);
  let at = 0;
  rows.forEach((r, i) => {
    indices.set(g.indices.subarray(g.indptr[r]!, g.indptr[r + 1]!), at);
    at += g.indptr[r + 1]! - g.indptr[r]!;
    indptr[i + 1] = at;
  });
  return { outputs: rows.length, indptr, indices, self: Int32Array.from(rows, (r) => g.self[r]!) };
}

export interface DiagGatConfig {
  hidden: number;
  heads: number;
  gatLayers: number;
  /** MPSEA's multi-weight layers: a node's own diagonal weight in its attention, apart from its
   *  neighbours' (ones, like theirs) */
  multiWeight?: boolean;
}

/** Adds a named parameter (a model's own registry: names are checkpoint keys). */
export type AddParam = (name: string, init: tf.Tensor) => tf.Variable;

/** The structure encoder: entity table E ~ N(0, 1/√N), per layer per head a diagonal weight (ones)
 *  and an attention vector U(±1/√(2H)); ELU between layers; heads averaged. */
export class DiagGat {
  private readonly graph: AggGraph;
  private readonly vars: { ent: tf.Variable; layers: { w: tf.Variable; a: tf.Variable; wLeft: tf.Variable | null }[] };

  /** `draw()`: the model's next seed, so the draws keep the model's order. */
  constructor(
    features: Features,
    readonly config: DiagGatConfig,
    add: AddParam,
    draw: () => number,
  ) {
    const { hidden: H, heads } = config;
    const N = features.rows;
    this.graph = gatGraph(features);
    const ent = add('ent', tf.randomNormal([N, H], 0, 1 / Math.sqrt(N), 'float32', draw()));
    const layers = Array.from({ length: config.gatLayers }, (_, l) => {
      const w = add(`gat${l}.w`, tf.ones([heads, H]));
      const bound = 1 / Math.sqrt(2 * H);
      const a = add(`gat${l}.a`, tf.randomUniform([heads, 2 * H], -bound, bound, 'float32', draw()));
      return { w, a, wLeft: config.multiWeight ? add(`gat${l}.wLeft`, tf.ones([heads, H])) : null };
    });
    this.vars = { ent, layers };
  }

  /** All layers over the whole graph except the last, which only computes `rows` (null: every row). */
  forward(rows: Int32Array | null, memo?: Memo): tf.Tensor2D {
    let x = this.vars.ent as unknown as tf.Tensor2D;
    const L = this.vars.layers.length;
    this.vars.layers.forEach(({ w, a, wLeft }, l) => {
      const last = l === L - 1;
      const g = last && rows ? subGraph(this.graph, rows) : this.graph;
      x = gatLayer(x, w as unknown as tf.Tensor2D, a as unknown as tf.Tensor2D, g, memo, `gat${l}`, (wLeft ?? undefined) as tf.Tensor2D | undefined);
      if (!last) x = tf.elu(x);
    });
    return x;
  }
}
