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
  /** the model's own modality weights for this source and this target, where the model weighs each
   *  entity's modalities itself (LoginMEA's fusion attention); absent for models whose weights are
   *  the same for every entity, and in queues written before it existed */
  entityWeights?: { source: Record<string, number>; target: Record<string, number> };
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
  /** the triples the source and its first candidate are each in: how much of them the graphs
   *  describe (absent in queues written before it existed) */
  facts?: { source: number; target: number };
  /** fraction of the modalities both entities have whose own best candidate (among the shown ones)
   *  is not the joint's first */
  disagreement: number;
  /** expected value of reviewing this item (expectedValues) */
  value: number;
  /** its place in the audit plan (shared/auditPlan.ts): the audit order shows these first, in this
   *  order; absent for items the plan does not name */
  auditRank?: number;
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
      if (s !== null && s !== undefined && s > bestSim) {
        bestSim = s;
        best = i;
      }
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
 * Items the thresholds accept without review (accepts) get a tenth: reviewing them adds little.
 */
export function expectedValues(items: Omit<QueueItem, 'value'>[], accepted: Thresholds = NO_THRESHOLDS): number[] {
  const top = percentiles(items.map((q) => q.candidates[0]?.score ?? -Infinity));
  const sure = percentiles(items.map((q) => q.margin));
  const maxImpact = Math.max(1, ...items.map((q) => q.impact));
  return items.map((q, i) => {
    const v = top[i]! * (1 - 0.8 * sure[i]!) * (1 + Math.log1p(q.impact) / Math.log1p(maxImpact)) * (1 + q.disagreement);
    const taken = accepts(q, accepted);
    return Math.round((taken ? v / 10 : v) * 1e4) / 1e4;
  });
}

/** A fixed pseudo-random number in [0, 1) per entity id (the audit order's shuffle). */
export function shuffleKey(id: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The queue in an order: highest first for value/score/impact/disagreement, lowest confidence
 *  first; audit: the items the audit plan names, in its order (each tier's in the tier's fixed
 *  random order), then the other acceptable items (the ones a threshold could accept) in a fixed
 *  random order, then the rest — so within a tier any prefix is a uniform sample of its items. */
export function orderQueue<T extends QueueItem>(items: T[], order: QueueOrder): T[] {
  const key: (q: T) => number = {
    audit: (q: T) => (q.auditRank !== undefined ? 3 - q.auditRank / 2 ** 32 : acceptable(q) ? 1 + shuffleKey(q.source) : 0),
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

/** A round's own settings unless the curator chooses others: candidates per source, epochs of a first
 *  and of a warm-started round (the model's options and defaults are shared/models). */
export const ROUND_DEFAULTS = { k: 5, firstEpochs: 150, laterEpochs: 50 } as const;

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
 * The tiers "accept above threshold" calibrates apart (issue 23). A threshold calibrated on a mix of
 * tiers vouches for the open items only when they are mixed as the audits were, and they are not:
 * the review takes some tiers' items faster than others', so the clean tier's audits ended up
 * vouching for a dirty tier's open items (DBP15K zh_en: exact anchors on machine-translated names,
 * 45 % wrong, accepted at a promised 99 %). Each tier gets its own threshold on acceptKey, from its
 * own audits, so a tier is accepted only on its own evidence; within a tier the model's confidence
 * orders the items, so the threshold takes a tier's clean part instead of all or nothing. A name
 * anchor the model also ranks first both ways (confidence > 0) is a tier apart from one it does not,
 * and a mutual best of a pair the graphs barely describe (thin) is a tier apart from the others.
 */
export const TIERS = ['exact-agree', 'exact', 'base-agree', 'base', 'model', 'model-thin'] as const;
export type Tier = (typeof TIERS)[number];
export type Thresholds = Record<Tier, number>;
export const NO_THRESHOLDS: Thresholds = Object.freeze(Object.fromEntries(TIERS.map((t) => [t, Infinity])) as Thresholds);

/**
 * A pair is thin where either entity is in at most this many triples. The model's mutual best of
 * such a pair rests on the entity's isolation more than on evidence: alone in its corner of the
 * graph, its embedding is far from every other, so its margins come out large. On DBP15K zh_en
 * (HUMEA, 150 epochs, 30 % seeds: bench/accept-keys.mjs) 2,375 of the 7,127 mutual bests without a
 * name anchor are thin and 229 of them right, and they were the most confident: by confidence plus
 * name similarity the tier's first 100 were .61 right, .92 without them. A name anchor's evidence is
 * its name, not the graph, so the anchors' tiers are not split.
 */
export const THIN_FACTS = 2;

/** Whether the queue says the item's pair is thin (THIN_FACTS); a queue without `facts` says not. */
const isThin = (q: Pick<QueueItem, 'facts'>): boolean => q.facts !== undefined && Math.min(q.facts.source, q.facts.target) <= THIN_FACTS;

/** The tier of an item that may be accepted; null for one that may not (acceptable). */
export function tierOf(q: Pick<QueueItem, 'candidates' | 'confidence' | 'facts'>): Tier | null {
  if (!acceptable(q)) return null;
  const anchor = q.candidates[0]!.sameName;
  if (!anchor) return isThin(q) ? 'model-thin' : 'model';
  return q.confidence > 0 ? `${anchor}-agree` : anchor;
}

/** Whether the thresholds accept `q` (before the 1-to-1 rule). */
export function accepts(q: Pick<QueueItem, 'candidates' | 'confidence' | 'facts'>, th: Thresholds): boolean {
  const tier = tierOf(q);
  return tier !== null && acceptKey(q) >= th[tier];
}

/** How many standard deviations below a tier's audited precision its bound lies (Wilson, one-sided):
 *  2, about 97.7 % confidence for each option, because the threshold is the best of many options
 *  tried on the same audits, which makes a looser bound optimistic (at z = 1, before the floor and
 *  the cumulative budget, DBP15K zh_en's model tier was accepted at 24 of 32 right). */
export const ACCEPT_Z = 2;

/** The lowest precision bound any tier's accepted part may have, however many confirmed pairs
 *  there are to absorb its errors: the delivered set's budget may let a tier go below the target,
 *  never far (a tier right half the time is not accepted on 1,500 confirmed pairs' credit). */
export const ACCEPT_FLOOR = 0.95;

/** What acceptThresholds answers: each tier's threshold, and the estimated chance that a pair it
 *  accepts is wrong (1 − the bound of the tier's option: recorded with the pair as its risk). */
export interface Calibration {
  thresholds: Thresholds;
  risk: Record<Tier, number>;
}

/**
 * Each tier's lowest acceptKey threshold the audits vouch for. `samples`: (tier, acceptKey, whether
 * the first candidate was right) of audited items; `delivered`: the confirmed pairs (a person's), the
 * open acceptable items (tier, key), and the pairs earlier acceptances took with the sum of their
 * risks. A tier's option at threshold t has `a` open items above it and a precision whose Wilson
 * lower bound (z) is L on its own samples above it, so at most (1 − L)·a of them are wrong. Every
 * tier first takes its lowest t with L ≥ `precision`; then, cleanest bound first and never below
 * ACCEPT_FLOOR, a tier goes lower while the wrong ones, the earlier acceptances' included, stay
 * within the delivered set's budget: prior risk + Σ (1 − L)·a ≤ (1 − precision)·(confirmed + prior
 * accepted + Σ a). The budget is the whole delivered set's, so a round cannot spend again what an
 * earlier one spent. Without `delivered`, only the first step.
 */
export function acceptThresholds(
  samples: { tier: Tier; key: number; correct: boolean }[],
  precision = ACCEPT_PRECISION,
  z = ACCEPT_Z,
  delivered?: { confirmed: number; open: { tier: Tier; key: number }[]; prior?: { accepted: number; risk: number } },
): Calibration {
  const options = new Map<Tier, TierOption[]>();
  for (const tier of TIERS) {
    const openKeys = (delivered?.open ?? [])
      .filter((o) => o.tier === tier)
      .map((o) => o.key)
      .sort((x, y) => y - x);
    options.set(
      tier,
      tierOptions(
        samples.filter((x) => x.tier === tier),
        openKeys,
        z,
      ),
    );
  }
  const { thresholds, risk } = chooseOptions(options, precision, delivered && { confirmed: delivered.confirmed, prior: delivered.prior });
  return { thresholds, risk };
}

/** A tier's option: threshold t, the Wilson lower bound of its audits' precision at or above t, and
 *  the open items at or above t. */
export interface TierOption {
  t: number;
  bound: number;
  a: number;
}

/** One tier's options from the highest threshold down: one per distinct audited key. `openKeys`:
 *  the tier's open items' keys, highest first. */
export function tierOptions(own: { key: number; correct: boolean }[], openKeys: ArrayLike<number>, z: number): TierOption[] {
  const sorted = [...own].sort((x, y) => y.key - x.key);
  const list: TierOption[] = [];
  let ok = 0;
  let above = 0;
  // descending, like the samples: one pass counts the open items at or above each cut
  sorted.forEach((x, i) => {
    if (x.correct) ok++;
    if (i < sorted.length - 1 && sorted[i + 1]!.key === x.key) return; // the last of equal keys
    while (above < openKeys.length && openKeys[above]! >= x.key) above++;
    list.push({ t: x.key, bound: wilsonLower(ok, i + 1, z), a: above });
  });
  return list;
}

/** The tiers' chosen options (acceptThresholds' two steps) from every tier's options: each tier's
 *  index into its list, absent where it accepts nothing, and the calibration. */
export function chooseOptions(
  options: ReadonlyMap<Tier, TierOption[]>,
  precision: number,
  delivered?: { confirmed: number; prior?: { accepted: number; risk: number } },
): Calibration & { chosen: Map<Tier, number> } {
  const chosen = new Map<Tier, number>(); // tier → index of its option
  for (const [tier, list] of options) {
    let at = -1;
    list.forEach((o, i) => {
      if (o.bound >= precision) at = i;
    });
    if (at >= 0) chosen.set(tier, at);
  }
  if (delivered) {
    const prior = delivered.prior ?? { accepted: 0, risk: 0 };
    const budgetHolds = (pick: Map<Tier, number>) => {
      let a = prior.accepted;
      let wrong = prior.risk;
      for (const [tier, i] of pick) {
        const o = options.get(tier)![i]!;
        a += o.a;
        wrong += (1 - o.bound) * o.a;
      }
      return wrong <= (1 - precision) * (delivered.confirmed + a) + 1e-9;
    };
    for (;;) {
      // the next option down of every tier that keeps the budget, the cleanest taken
      let best: { tier: Tier; i: number; bound: number } | null = null;
      for (const [tier, list] of options) {
        const from = chosen.get(tier) ?? -1;
        for (let i = from + 1; i < list.length; i++) {
          if (list[i]!.bound < ACCEPT_FLOOR) continue;
          const trial = new Map(chosen).set(tier, i);
          if (!budgetHolds(trial)) continue;
          if (!best || list[i]!.bound > best.bound) best = { tier, i, bound: list[i]!.bound };
          break;
        }
      }
      if (!best) break;
      chosen.set(best.tier, best.i);
    }
  }
  const thresholds = { ...NO_THRESHOLDS };
  const risk = Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;
  for (const [tier, i] of chosen) {
    const o = options.get(tier)![i]!;
    thresholds[tier] = o.t;
    risk[tier] = 1 - o.bound;
  }
  return { thresholds, risk, chosen };
}

/** What the thresholds accept, in words (the accept preview); null when they accept nothing. */
export function describeThresholds(th: Thresholds): string | null {
  const words: Record<Tier, string> = {
    'exact-agree': 'exact-name anchors the model also ranks first',
    exact: 'exact-name anchors the model ranks otherwise',
    'base-agree': 'base-name anchors the model also ranks first',
    base: 'base-name anchors the model ranks otherwise',
    model: 'mutual bests without an anchor',
    'model-thin': `mutual bests without an anchor where either entity is in at most ${THIN_FACTS} triples`,
  };
  const parts = TIERS.filter((t) => Number.isFinite(th[t])).map((t) => {
    const model = t.startsWith('model');
    return `${words[t]} with ${model ? 'confidence + name similarity' : 'confidence'} ≥ ${(th[t] - (model ? 0 : ANCHOR_KEY[t.startsWith('exact') ? 'exact' : 'base'])).toFixed(4)}`;
  });
  return parts.length ? parts.join('; ') : null;
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

/** The open items the thresholds accept (each tier above its own), highest acceptKey first,
 *  1-to-1: a target in `used` (confirmed ones) or taken by a surer item is passed over. */
export function takeAccepted<T extends QueueItem>(open: T[], th: Thresholds, used: Set<number>): T[] {
  const out: T[] = [];
  const taken = new Set(used);
  for (const q of open.filter((x) => accepts(x, th)).sort((a, b) => acceptKey(b) - acceptKey(a) || a.source - b.source)) {
    const t = q.candidates[0]?.target;
    if (t === undefined || taken.has(t)) continue;
    taken.add(t);
    out.push(q);
  }
  return out;
}
