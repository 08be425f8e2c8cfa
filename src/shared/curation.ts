// The review queue's pure logic, shared by the engine (which builds the queue from a model), the
// simulated curator (`mmea simulate`) and the renderer (which re-sorts and marks conflicts): the
// expected value of reviewing an item, the queue orders, 1-to-1 conflicts, and the threshold above
// which the model's own top-1 is accepted without review (calibrated on the curator's verdicts).
// Our own code: this is the product's review logic, no library does it.

export interface Candidate {
  /** entity id in graph 2 */
  target: number;
  /** the joint embedding's CSLS score (what the model ranks by) */
  score: number;
  /** cosine of the joint embeddings */
  cosine: number;
  /** cosine of each modality's own embedding; null where either entity lacks the modality */
  modalities: Record<string, number | null>;
  /** what each modality adds to this pair's joint cosine (they sum to `cosine`): the joint is the
   *  concatenation of the modalities' unit embeddings, each scaled by the model's weight w_m, so its
   *  cosine is Σ_m w_m² cos_m / (‖joint_s‖ ‖joint_t‖). A missing modality adds what the model's
   *  stand-in vectors add (the model does use them). Absent in queues written before it existed. */
  contributions?: Record<string, number>;
  /** which side lacks each modality that is missing for the pair (absent: both have it; absent
   *  altogether in queues written before it existed) */
  missing?: Record<string, 'source' | 'target' | 'both'>;
  /** the source's name anchor (engine/curation/lexical.ts): no other unaligned entity of either
   *  graph has this name ('exact'), or this name once a trailing parenthetical is dropped ('base').
   *  The queue shows it first whatever its score. */
  sameName?: 'exact' | 'base';
}

export interface QueueItem {
  /** entity id in graph 1 */
  source: number;
  /** best first */
  candidates: Candidate[];
  /** score of the first candidate minus the second's (0 with one candidate) */
  margin: number;
  /** the first candidate's score minus the best score any other queued source has for it;
   *  negative when another source ranks it higher (the pair is not a mutual best) */
  reverseMargin: number;
  /** min(margin, reverseMargin): how sure the model is of its first candidate, both ways */
  confidence: number;
  /** unaligned neighbours of the source and of its first candidate: what a confirmation anchors */
  impact: number;
  /** fraction of the modalities both entities have whose own best candidate (among the shown ones)
   *  is not the joint's first */
  disagreement: number;
  /** expected value of reviewing this item (expectedValues) */
  value: number;
}

export const QUEUE_ORDERS = ['value', 'score', 'confidence', 'impact', 'disagreement', 'audit'] as const;
export type QueueOrder = (typeof QUEUE_ORDERS)[number];

/** Fraction of modalities (present for both entities) whose own best shown candidate differs from
 *  the joint's first. */
export function disagreementOf(candidates: Candidate[]): number {
  if (candidates.length < 2) return 0;
  const names = Object.keys(candidates[0]!.modalities);
  let asked = 0;
  let differ = 0;
  for (const m of names) {
    let best = -1;
    let bestSim = -Infinity;
    candidates.forEach((c, i) => {
      const s = c.modalities[m];
      if (s !== null && s !== undefined && s > bestSim) (bestSim = s, (best = i));
    });
    if (best < 0 || candidates[0]!.modalities[m] === null) continue;
    asked++;
    if (best !== 0) differ++;
  }
  return asked ? differ / asked : 0;
}

/** Percentile ranks in [0, 1] of xs (ties share the lower rank). */
function percentiles(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  const n = Math.max(xs.length - 1, 1);
  let k = 0;
  for (let i = 0; i < order.length; i++) {
    if (i > 0 && order[i]![0] !== order[i - 1]![0]) k = i;
    out[order[i]![1]] = k / n;
  }
  return out;
}

/**
 * Expected value of reviewing each item, relative to the others in the queue:
 * plausibility that the right counterpart is among the shown candidates (percentile of the first
 * candidate's score) × uncertainty (low margin) × (1 + graph impact) × (1 + modality disagreement).
 * Items accepted without review (acceptable, acceptKey ≥ `accepted`) get a tenth: reviewing them
 * adds little.
 */
export function expectedValues(items: Omit<QueueItem, 'value'>[], accepted = Infinity): number[] {
  const top = percentiles(items.map((q) => q.candidates[0]?.score ?? -Infinity));
  const sure = percentiles(items.map((q) => q.margin));
  const maxImpact = Math.max(1, ...items.map((q) => q.impact));
  return items.map((q, i) => {
    const v = top[i]! * (1 - 0.8 * sure[i]!) * (1 + Math.log1p(q.impact) / Math.log1p(maxImpact)) * (1 + q.disagreement);
    const taken = acceptable(q) && acceptKey(q) >= accepted;
    return Math.round((taken ? v / 10 : v) * 1e4) / 1e4;
  });
}

/** A fixed pseudo-random number in [0, 1) per entity id (the audit order's shuffle). */
function shuffleKey(id: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The queue in an order: highest first for value/score/impact/disagreement, lowest confidence
 *  first; audit: the acceptable items (the ones a threshold could accept) in a fixed
 *  random order, so any prefix is a uniform sample of them, then the rest. */
export function orderQueue<T extends QueueItem>(items: T[], order: QueueOrder): T[] {
  const key: (q: T) => number = {
    audit: (q: T) => (acceptable(q) ? 1 + shuffleKey(q.source) : 0),
    value: (q: T) => q.value,
    score: (q: T) => q.candidates[0]?.score ?? -Infinity,
    confidence: (q: T) => -q.confidence,
    impact: (q: T) => q.impact,
    disagreement: (q: T) => q.disagreement,
  }[order];
  return [...items].sort((a, b) => key(b) - key(a) || a.source - b.source);
}

/** The 1-to-1 rule, declared once (the journal enforces it, the review shows it): the standing
 *  confirmations — given both ways — that confirming (source, target) would break. Entities are
 *  whatever the caller keys them by (ids in the renderer, URIs in the journal). */
export function brokenPairs<K>(source: K, target: K, confirmedBySource: ReadonlyMap<K, K>, confirmedByTarget: ReadonlyMap<K, K>): [K, K][] {
  const out: [K, K][] = [];
  const t = confirmedBySource.get(source);
  if (t !== undefined && t !== target) out.push([source, t]);
  const s = confirmedByTarget.get(target);
  if (s !== undefined && s !== source) out.push([s, target]);
  return out;
}

/** Why a candidate pair conflicts with the confirmed pairs under 1-to-1, or null. */
export function conflictOf(source: number, target: number, confirmedBySource: Map<number, number>, confirmedByTarget: Map<number, number>): string | null {
  const [first] = brokenPairs(source, target, confirmedBySource, confirmedByTarget);
  if (!first) return null;
  return first[0] === source ? `source already confirmed with ${first[1]}` : `target already confirmed for ${first[0]}`;
}

/** A round's settings unless the curator chooses others: candidates per source, epochs of a first
 *  and of a warm-started round, and the HUMEA options the rounds bar offers (the same values as the
 *  engine's TRAIN_DEFAULTS, which the renderer cannot import: a unit test holds them equal). */
export const ROUND_DEFAULTS = { k: 5, firstEpochs: 150, laterEpochs: 50, seed: 42, lr: 5e-4, csls: 3 } as const;

/** The precision "accept above threshold" answers for unless asked otherwise (the target). */
export const ACCEPT_PRECISION = 0.99;

/** Lower bound of a binomial proportion (Wilson score interval, one-sided, z standard deviations). */
export function wilsonLower(successes: number, n: number, z = 1): number {
  if (n === 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * The lowest confidence t (any score of how sure the model is: acceptKey) such that the reviewed
 * items with confidence ≥ t had a correct first
 * candidate with precision whose Wilson lower bound is ≥ `precision`; Infinity when no t qualifies
 * (accept nothing). `samples`: (the model's confidence for a reviewed item, whether its first
 * candidate was the right one), from items the model did not train on.
 *
 * With `delivered`, the precision asked for is the delivered alignment's: `confirmed` reviewed
 * pairs (right by the curator's word) plus the `open` items (their confidences) at or above t,
 * accepted; then t qualifies when (confirmed + bound × accepted) / (confirmed + accepted) ≥
 * `precision`, so the accepted part may be a little less precise the more has been confirmed.
 */
export function acceptThreshold(samples: { confidence: number; correct: boolean }[], precision = ACCEPT_PRECISION, z = 1, delivered?: { confirmed: number; open: number[] }): number {
  const sorted = [...samples].sort((a, b) => b.confidence - a.confidence);
  const open = delivered ? Float64Array.from(delivered.open).sort() : null; // ascending
  /** open items with confidence ≥ t */
  const above = (t: number): number => {
    let lo = 0;
    let hi = open!.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (open![mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return open!.length - lo;
  };
  const holds = (bound: number, t: number): boolean => {
    if (!delivered) return bound >= precision;
    const a = above(t);
    const c = delivered.confirmed;
    return c + a === 0 || (c + bound * a) / (c + a) >= precision;
  };
  let ok = 0;
  let best = Infinity;
  sorted.forEach((s, i) => {
    if (s.correct) ok++;
    const last = i === sorted.length - 1 || sorted[i + 1]!.confidence !== s.confidence;
    if (last && holds(wilsonLower(ok, i + 1, z), s.confidence)) best = s.confidence;
  });
  return best;
}

/** Whether the first candidate may be accepted unreviewed at all: a mutual best of the model, or
 *  the source's name anchor. */
export const acceptable = (q: Pick<QueueItem, 'candidates' | 'confidence'>): boolean => q.candidates.length > 0 && (q.confidence > 0 || q.candidates[0]!.sameName !== undefined);

/** acceptKey's lift for a name anchor. A CSLS score lies in [−4, 4], so a confidence (a difference
 *  of two, or a score + 2) lies in [−8, 8] and a key without an anchor in [−9, 9]: each tier's keys
 *  stay apart from the next one's. */
const ANCHOR_KEY = { exact: 40, base: 20 } as const;

/**
 * What "accept above threshold" ranks by. Without a name anchor: the confidence (the smaller
 * margin, both ways) plus the first candidate's name similarity (−1 when either entity has no name:
 * less evidence; the same shift for all when a dataset has no names, so the order is the
 * confidence's). Names are the evidence least tied to the graph the model was trained on. A name
 * anchor first (sameName) ranks above all of those, exact names above base names, each tier by the
 * model's confidence. bench/accept-keys.mjs measures how many right first candidates each key can
 * vouch for (docs/benchmarks.md); the threshold is calibrated on audits whatever the key.
 */
export function acceptKey(q: Pick<QueueItem, 'candidates' | 'confidence'>): number {
  const first = q.candidates[0];
  if (first?.sameName) return ANCHOR_KEY[first.sameName] + q.confidence;
  const name = first?.modalities.name;
  return q.confidence + (typeof name === 'number' ? name : -1);
}

/** What a threshold on acceptKey accepts, in words (the accept preview). */
export function describeThreshold(t: number): string {
  const f = (x: number) => x.toFixed(4);
  // the tiers' keys lie within ±9 of their lift: the midpoints part them
  if (t > (ANCHOR_KEY.exact + ANCHOR_KEY.base) / 2) return `exact-name anchors with confidence ≥ ${f(t - ANCHOR_KEY.exact)}`;
  if (t > ANCHOR_KEY.base / 2) return `exact-name anchors, and base-name anchors with confidence ≥ ${f(t - ANCHOR_KEY.base)}`;
  return `name anchors, and mutual bests with confidence + name similarity ≥ ${f(t)}`;
}

/** The acceptable open items' first candidates with acceptKey ≥ `threshold`, highest first,
 *  1-to-1: a target in `used` (confirmed ones) or taken by a surer item is passed over. */
export function takeAccepted<T extends QueueItem>(open: T[], threshold: number, used: Set<number>): T[] {
  const out: T[] = [];
  const taken = new Set(used);
  for (const q of open.filter(acceptable).sort((a, b) => acceptKey(b) - acceptKey(a) || a.source - b.source)) {
    if (acceptKey(q) < threshold) break;
    const t = q.candidates[0]?.target;
    if (t === undefined || taken.has(t)) continue;
    taken.add(t);
    out.push(q);
  }
  return out;
}
