// The review queue from a trained model: for every unaligned source entity its top-k unaligned
// targets by the joint embedding's CSLS score (after the source's name anchor, if it has one:
// lexical.ts), each with the cosine of every modality's own
// embedding (null where either entity lacks the modality: the "missing" flag), the margins both
// ways, the graph impact and the modality disagreement, and the expected value of reviewing it
// (src/shared/curation.ts). Used by `mmea propose`, `mmea simulate` and the app's rounds.
import type { Features } from '../features/build';
import type { NameMatch } from './lexical';
import { disagreementOf, expectedValues, type Candidate, type QueueItem } from '../../shared/curation';
import { topCandidates } from '../training/evaluate';
import type { Modality } from '../../shared/models/modalities';
import { disposeEmbeddings } from '../models/embeddings';
import { l2normalize } from '../nn/ops';
import { checkGpuErrors, tf } from '../runtime/tf';
import type { Trainer } from '../training/trainer';

const COVERAGE: Record<Modality, keyof Features['coverage']> = {
  gph: 'structure',
  img: 'images',
  rel: 'relations',
  att: 'attributes',
  name: 'names',
  word: 'words',
  num: 'numeric',
};

export interface QueueRequest {
  /** rows of graph 1 to propose for, and rows of graph 2 they may be matched with */
  sources: Int32Array;
  targets: Int32Array;
  k: number;
  /** per source row, target rows never to propose again (rejected pairs) */
  exclude?: Map<number, Set<number>>;
  /** rows already aligned (seeds, confirmed): a neighbour among them is no longer to be anchored */
  aligned?: Uint8Array;
  /** name anchors (lexical.ts nameAnchors): source row → the target row put first, flagged sameName */
  anchors?: Map<number, { target: number; match: NameMatch }>;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Distinct unaligned neighbours of two rows. */
function impactOf(f: Features, a: number, b: number, aligned: Uint8Array | undefined): number {
  const seen = new Set<number>();
  for (const r of [a, b]) {
    const { indptr, neighbours } = f.graph;
    for (let e = indptr[r]!; e < indptr[r + 1]!; e++) {
      const n = neighbours[e]!;
      if (!aligned?.[n]) seen.add(n);
    }
  }
  return seen.size;
}

/** The triples a row is in (its edges in the graph's CSR, which holds each triple both ways). */
const factsOf = (f: Features, row: number): number => f.graph.indptr[row + 1]! - f.graph.indptr[row]!;

/** Row `row`'s own modality weights, rounded as the queue's other figures. */
function weightsOf(w: NonNullable<QueueEmbeddings['entityWeights']>, row: number): Record<string, number> {
  const M = w.modalities.length;
  return Object.fromEntries(w.modalities.map((m, k) => [m, round4(w.data[row * M + k]!)]));
}

/** Modality k's weight in row `row`'s joint: the model's own weight for that row where it has them
 *  (MEAformer's joint concatenates w_{i,m} · n(e_m) with each entity's weights), else the global one. */
function weightIn(mods: QueueEmbeddings['mods'], own: QueueEmbeddings['entityWeights'], row: number, k: number): number {
  if (!own) return mods[k]!.weight;
  const at = own.modalities.indexOf(mods[k]!.m);
  return at < 0 ? 0 : own.data[row * own.modalities.length + at]!;
}

/** What a queue is built from: the normalised joint embedding of every row (on the backend) and
 *  each modality's normalised embedding (read back, for the per-modality cosines). One forward. */
export interface QueueEmbeddings {
  joint: tf.Tensor2D;
  /** each modality's unit embeddings, its coverage and the model's fusion weight w_m */
  mods: { m: Modality; data: Float32Array; dims: number; mask: Uint8Array; weight: number }[];
  /** per row, the norm of the unnormalised joint (√Σ w_m² ‖ê_m‖²); null when the model's joint is no
   *  weighted concatenation of its modalities (then no modality's share of the cosine is shown) */
  jointNorm: Float32Array | null;
  /** the model's own per-entity modality weights (rows × modalities), where it has them */
  entityWeights: { modalities: Modality[]; data: Float32Array } | null;
}

export async function queueEmbeddings(t: Trainer): Promise<QueueEmbeddings> {
  const f = t.features;
  // everything the forward makes is freed here but the normalised embeddings (its expert outputs,
  // rows × experts × hidden per modality, would otherwise stay on the backend)
  const present = t.model.present;
  const fw = t.model.embeddings();
  const [joint, ...normed] = tf.tidy(() => [l2normalize(fw.joint), ...present.map((m) => l2normalize(fw.mods.get(m)!))]);
  // every read asynchronous: a device backend may have no synchronous one (webgpu in Node)
  let entityWeights: QueueEmbeddings['entityWeights'];
  let weights: Record<string, number>;
  let data: Float32Array[];
  try {
    entityWeights = fw.entityWeights ? { modalities: fw.entityWeights.modalities, data: (await fw.entityWeights.weights.data()) as Float32Array } : null;
    weights = await t.modalityWeights(fw);
    data = (await Promise.all(normed.map((n) => n.data()))) as Float32Array[];
  } catch (err) {
    joint!.dispose();
    throw err;
  } finally {
    disposeEmbeddings(fw);
    tf.dispose(normed);
  }
  checkGpuErrors('the forward of the review queue');
  const mods = present.map((m, k) => ({ m, data: data[k]!, dims: data[k]!.length / f.rows, mask: f.coverage[COVERAGE[m]], weight: weights[m]! }));
  if (!fw.concatenated) return { joint: joint as tf.Tensor2D, mods, jointNorm: null, entityWeights };
  const jointNorm = new Float32Array(f.rows);
  mods.forEach(({ data, dims }, k) => {
    for (let r = 0; r < f.rows; r++) {
      let s = 0;
      for (let x = r * dims; x < (r + 1) * dims; x++) s += data[x]! * data[x]!;
      const w = weightIn(mods, entityWeights, r, k);
      jointNorm[r]! += w * w * s;
    }
  });
  for (let r = 0; r < f.rows; r++) jointNorm[r] = Math.sqrt(jointNorm[r]!);
  return { joint: joint as tf.Tensor2D, mods, jointNorm, entityWeights };
}

/** The model's global modality weights as the queue's forward gave them (no forward of their own). */
export function queueWeights(emb: QueueEmbeddings): Record<string, number> {
  return Object.fromEntries(emb.mods.map(({ m, weight }) => [m, weight]));
}

/** The queue for `req`; with `emb` (queueEmbeddings of the same model) several queues share one
 *  forward, else one is made and freed here. */
export async function buildQueue(t: Trainer, req: QueueRequest, emb?: QueueEmbeddings): Promise<QueueItem[]> {
  const f = t.features;
  const { sources, targets } = req;
  if (sources.length === 0 || targets.length === 0) return [];
  let extra = 0;
  for (const s of req.exclude?.values() ?? []) extra = Math.max(extra, s.size);
  const own = emb ?? (await queueEmbeddings(t));
  const { mods } = own;
  // each source's anchored target as a column of `targets` (−1: none, or rejected)
  const colOf = new Map<number, number>();
  targets.forEach((r, c) => colOf.set(r, c));
  const anchorCol = new Int32Array(sources.length).fill(-1);
  if (req.anchors) {
    sources.forEach((src, q) => {
      const a = req.anchors!.get(src);
      const col = a === undefined ? undefined : colOf.get(a.target);
      if (col !== undefined && !req.exclude?.get(src)?.has(a!.target)) anchorCol[q] = col;
    });
  }
  const L = tf.gather(own.joint, sources);
  const R = tf.gather(own.joint, targets);
  if (!emb) own.joint.dispose();
  let top: Awaited<ReturnType<typeof topCandidates>>;
  let back: Awaited<ReturnType<typeof topCandidates>>;
  try {
    top = await topCandidates(L, R, req.k + extra, { csls: t.options.csls }, req.anchors ? anchorCol : undefined);
    back = await topCandidates(R, L, 2, { csls: t.options.csls });
  } finally {
    tf.dispose([L, R]);
  }
  const K = top.index.length / sources.length;
  const B = back.index.length / targets.length;
  const dot = (d: Float32Array, H: number, a: number, b: number) => {
    let s = 0;
    for (let x = 0; x < H; x++) s += d[a * H + x]! * d[b * H + x]!;
    return s;
  };
  const items: Omit<QueueItem, 'value'>[] = [];
  sources.forEach((src, q) => {
    const excluded = req.exclude?.get(src);
    // (column, score, cosine) in the order shown: the name anchor first, then the model's ranking
    const ranked: [number, number, number][] = [];
    const anchored = anchorCol[q]!;
    if (anchored >= 0) ranked.push([anchored, top.alsoScore[q]!, top.alsoCosine[q]!]);
    for (let p = 0; p < K; p++) {
      const col = top.index[q * K + p]!;
      if (col !== anchored) ranked.push([col, top.score[q * K + p]!, top.cosine[q * K + p]!]);
    }
    const candidates: Candidate[] = [];
    let firstCol = -1;
    for (const [col, score, cosine] of ranked) {
      if (candidates.length >= req.k) break;
      const dst = targets[col]!;
      if (excluded?.has(dst) || !Number.isFinite(score)) continue;
      if (firstCol < 0) firstCol = col;
      const modalities: Record<string, number | null> = {};
      const contributions: Record<string, number> = {};
      const missing: NonNullable<Candidate['missing']> = {};
      const jointNorm = own.jointNorm;
      const norms = jointNorm ? jointNorm[src]! * jointNorm[dst]! : 0;
      mods.forEach(({ m, data, dims, mask }, k) => {
        const c = dot(data, dims, src, dst);
        modalities[m] = mask[src] && mask[dst] ? round4(c) : null;
        if (!mask[src] || !mask[dst]) missing[m] = !mask[src] && !mask[dst] ? 'both' : !mask[src] ? 'source' : 'target';
        const w = () => weightIn(mods, own.entityWeights, src, k) * weightIn(mods, own.entityWeights, dst, k);
        if (jointNorm) contributions[m] = round4(norms > 0 ? (w() * c) / norms : 0);
      });
      const candidate: Candidate = {
        target: f.rowIds[dst]!,
        score: round4(score),
        cosine: round4(cosine),
        modalities,
        ...(jointNorm && { contributions }),
        ...(own.entityWeights && { entityWeights: { source: weightsOf(own.entityWeights, src), target: weightsOf(own.entityWeights, dst) } }),
        ...(Object.keys(missing).length > 0 && { missing }),
      };
      if (col === anchored) candidate.sameName = req.anchors!.get(src)!.match;
      candidates.push(candidate);
    }
    if (candidates.length === 0) return;
    const margin = candidates.length > 1 ? candidates[0]!.score - candidates[1]!.score : 0;
    // the first candidate's best other source: its best, or its second when its best is this one
    const bestSource = back.index[firstCol * B]!;
    const other = bestSource === q ? (B > 1 ? back.score[firstCol * B + 1]! : -Infinity) : back.score[firstCol * B]!;
    const reverseMargin = Number.isFinite(other) ? candidates[0]!.score - other : candidates[0]!.score + 2;
    items.push({
      source: f.rowIds[src]!,
      candidates,
      margin: round4(margin),
      reverseMargin: round4(reverseMargin),
      confidence: round4(Math.min(margin, reverseMargin)),
      impact: impactOf(f, src, targets[firstCol]!, req.aligned),
      facts: { source: factsOf(f, src), target: factsOf(f, targets[firstCol]!) },
      disagreement: round4(disagreementOf(candidates)),
    });
  });
  // undamped: the threshold comes from the verdicts, later (accept.ts valuedQueue, simulate)
  const values = expectedValues(items);
  return items.map((q, i) => ({ ...q, value: values[i]! }));
}
