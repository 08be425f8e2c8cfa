// Which acceptable items to audit next, and how many (issue 23): the audit sample's size and its
// allocation across tiers chosen to vouch for the most pairs per verdict. A tier's threshold rests on
// its own audits (curation.ts acceptThresholds), and at z = 2 a tier needs ~400 right audits to vouch
// for 99 % on its own; spread uniformly over five tiers, a round's 100 audits vouched for nothing
// (FB15K-DB15K with names: nothing accepted in 1,500 verdicts). So audits go, a block at a time, to
// the tier where a block vouches for the most open pairs if it comes out as the tier's audits so far
// say it will (expectedRight) — a tier whose audits found it dirty gains nothing from more and is
// left alone, and so is a tier found ~97 % right, whose bound no number of audits lifts to 99 %;
// weighing a block as all right instead spent 1,225 audits on DBP15K zh_en's mutual bests (.97
// right) that never vouched for one pair — and a round audits more than its least share while a
// block still vouches for at least one pair per audit (each audit also confirms its own pair, so
// such a verdict is worth at least a review; below that, a review is assumed worth more — on zh_en
// it was not: value-ordered reviews confirmed ~.8 of their pairs where audits of a .97 tier had
// confirmed .97, docs/benchmarks.md, so weighing the two is the next step). Within a tier the items
// are taken in a fixed random order (shuffleKey), so a tier's audits stay a uniform sample of its
// items, which is all its calibration assumes. The same plan orders the app's audit queue and `mmea
// simulate`'s audits. Our own code: it is the product's logic.
import { chooseOptions, shuffleKey, tierOptions, TIERS, type Tier, type TierOption } from './curation';

/** The audits a tier is given at a time, and that a caller auditing block by block answers before
 *  planning the next: small enough that a tier found dirty costs little, large enough that a block's
 *  gain shows. */
export const AUDIT_BLOCK = 25;

/** How many audits a plan looks ahead, past the round it plans: four rounds of 500. A round alone is
 *  too short a view — one wrong answer in a tier's first block puts its 99 % bound hundreds of right
 *  audits away, more than a round, and DBP15K zh_en's ~7,000 mutual bests (the curve's `open`
 *  counts) looked worth nothing — while a tier that needs more than this is not worth starting. */
export const AUDIT_LOOKAHEAD = 2000;

export interface AuditSample {
  tier: Tier;
  key: number;
  correct: boolean;
}

export interface AuditCandidate {
  /** the source's entity id: fixes its place in the tier's random order */
  source: number;
  tier: Tier;
  key: number;
}

export interface AuditPlanInput {
  /** the audits so far (curation.ts acceptThresholds' samples) */
  samples: AuditSample[];
  /** the open acceptable items: what may be audited, and what the thresholds would accept */
  open: AuditCandidate[];
  /** confirmed pairs a person gave (the budget counts them right), earlier acceptances */
  confirmed: number;
  prior?: { accepted: number; risk: number };
  precision: number;
  z: number;
  /** audits to plan at least (spent where they vouch for most even when none pays) and at most */
  least: number;
  most: number;
  /** how far the plan looks ahead when it weighs a tier (default AUDIT_LOOKAHEAD, at least `most`) */
  lookahead?: number;
  /** the block size a tier is given at a time */
  block?: number;
  /** each item's place in its tier's random order (default: shuffleKey of the source, the app's) */
  shuffle?: (source: number) => number;
  /** plan no more than this many (a caller that audits a block and re-plans on its verdicts wants
   *  the first block only; the look-ahead still reaches as far) */
  take?: number;
}

/**
 * The items to audit, in order. Greedy by blocks: for every tier and every size m (a block, two, four
 * … up to the look-ahead), the pairs the thresholds would vouch for if the next m items of
 * the tier's random order came out as expected (expectedRight; they leave the open items and the
 * right ones join the confirmed ones);
 * the tier and size with the most pairs per audit is taken, and planning goes on from there. It
 * stops when `most` is spent, or when no size vouches for a pair per audit and `least` is spent; the
 * audits owed to `least` go to the largest tiers' next items. "Vouched for" is what acceptThresholds
 * would accept, from its own two steps (tierOptions, chooseOptions) with each tier's options kept
 * (a trial changes one tier's only), instead of recomputing every tier's for every trial: cheap
 * enough to plan on every queue fetch.
 */
export function planAudits(input: AuditPlanInput): AuditCandidate[] {
  const block = input.block ?? AUDIT_BLOCK;
  const place = input.shuffle ?? shuffleKey;
  /** per tier: its audits (planned ones as right), its open items not yet planned in their random
   *  order, and the options they give */
  const tiers = new Map(
    TIERS.map((t) => {
      const own: { key: number; correct: boolean }[] = input.samples.filter((x) => x.tier === t);
      const queue = input.open.filter((o) => o.tier === t).sort((a, b) => place(a.source) - place(b.source) || a.source - b.source);
      // from the real audits alone: `own` gains the planned ones only later
      return [t, { own, queue, right: expectedRight(own, queue), options: [] as TierOption[] }];
    }),
  );
  /** the options of a tier whose next m items were audited and came out as expected */
  const optionsWith = (t: Tier, m: number) => {
    const { own, queue, right } = tiers.get(t)!;
    const keys = Float64Array.from(queue.slice(m), (o) => o.key)
      .sort()
      .reverse();
    return tierOptions([...own, ...queue.slice(0, m).map((o, i) => ({ key: o.key, correct: right[i]! }))], keys, input.z);
  };
  for (const [t, x] of tiers) x.options = optionsWith(t, 0);
  let confirmed = input.confirmed;
  const vouched = (t?: Tier, m = 0) => {
    const options = new Map([...tiers].map(([u, x]) => [u, u === t ? optionsWith(u, m) : x.options]));
    if (![...options.values()].some((l) => l.length)) return 0;
    const rightOnes = t === undefined ? 0 : tiers.get(t)!.right.slice(0, m).filter(Boolean).length;
    const { chosen } = chooseOptions(options, input.precision, { confirmed: confirmed + rightOnes, prior: input.prior });
    let n = 0;
    for (const [u, i] of chosen) n += options.get(u)![i]!.a;
    return n;
  };
  const plan: AuditCandidate[] = [];
  const commit = (t: Tier, m: number) => {
    const x = tiers.get(t)!;
    const items = x.queue.splice(0, m);
    const right = x.right.splice(0, m);
    items.forEach((o, i) => x.own.push({ key: o.key, correct: right[i]! }));
    x.options = optionsWith(t, 0);
    plan.push(...items);
    confirmed += right.filter(Boolean).length;
  };
  const take = Math.min(input.take ?? Infinity, input.most);
  const lookahead = Math.max(input.lookahead ?? AUDIT_LOOKAHEAD, input.most);
  while (plan.length < take) {
    const room = lookahead - plan.length;
    const now = vouched();
    let best: { tier: Tier; rate: number } | null = null;
    for (const t of TIERS) {
      for (const m of sizes(block, Math.min(room, tiers.get(t)!.queue.length))) {
        const rate = (vouched(t, m) - now) / m;
        if (!best || rate > best.rate) best = { tier: t, rate };
      }
    }
    if (best && best.rate >= 1) {
      // a block at a time, so the next choice sees what this one vouches for
      commit(best.tier, Math.min(block, take - plan.length, tiers.get(best.tier)!.queue.length));
      continue;
    }
    if (plan.length >= input.least) break;
    // owed to the least share and none pays: the largest tier's next items
    const largest = [...TIERS].sort((a, b) => tiers.get(b)!.queue.length - tiers.get(a)!.queue.length)[0]!;
    const m = Math.min(block, input.least - plan.length, take - plan.length, tiers.get(largest)!.queue.length);
    if (m <= 0) break;
    commit(largest, m);
  }
  return plan;
}

/** A block, two, four … and the cap itself: the sizes a tier's next audits are tried at. */
function sizes(block: number, cap: number): number[] {
  const out: number[] = [];
  for (let m = block; m < cap; m *= 2) out.push(m);
  if (cap > 0) out.push(cap);
  return out;
}

/**
 * How each open item of a tier, in the order it would be audited, is expected to come out: right
 * with the precision the tier's own audits show at or above its key (the model's confidence orders a
 * tier, so its clean upper part is not blamed for its lower part's errors), or right where no audit
 * reaches that high — a tier is assumed clean until its audits say otherwise, so a new tier is worth
 * starting. The expected wrong ones are spread deterministically: an item is wrong where the running
 * sum of (1 − precision) passes the next half, so m items carry about m·(1 − precision) wrong ones.
 */
export function expectedRight(audits: readonly { key: number; correct: boolean }[], queue: readonly { key: number }[]): boolean[] {
  const sorted = [...audits].sort((a, b) => b.key - a.key);
  const keys = sorted.map((x) => x.key);
  const rightAbove = [0];
  for (const x of sorted) rightAbove.push(rightAbove.at(-1)! + (x.correct ? 1 : 0));
  let wrong = 0;
  return queue.map((o) => {
    // the audits at or above the key: a prefix of the descending keys (binary search for its end)
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! >= o.key) lo = mid + 1;
      else hi = mid;
    }
    const before = Math.round(wrong);
    wrong += lo === 0 ? 0 : 1 - rightAbove[lo]! / lo;
    return Math.round(wrong) === before;
  });
}
