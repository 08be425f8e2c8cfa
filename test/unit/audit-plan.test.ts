// The audit plan (shared/auditPlan.ts, issue 23): audits go where they vouch for the most pairs per
// verdict, checked on a synthetic queue with known truth — a large clean tier, a smaller clean one,
// a 50 %-wrong tier and the model's mutual bests, right more often the surer the model is. Against the
// same number of audits drawn uniformly over the acceptable items (the rule before), the plan must
// vouch for far more pairs, and the delivered precision, checked against the truth, must stay ≥ the
// target whatever the plan chose. The app's audit order shows the plan's items first.
import { describe, expect, it } from 'vitest';
import { expectedRight, planAudits, type AuditCandidate, type AuditSample } from '../../src/shared/auditPlan';
import { planAcceptance, valuedQueue } from '../../src/engine/curation/accept';
import { ACCEPT_Z, acceptThresholds, orderQueue, shuffleKey, type Tier } from '../../src/shared/curation';
import { confirmations, oneCandidate, uri } from './curationFixtures';

/** A queue's acceptable items with their truth. Keys as acceptKey lays them out (anchors lifted). */
function syntheticQueue(): { items: AuditCandidate[]; right: Map<number, boolean> } {
  const items: AuditCandidate[] = [];
  const right = new Map<number, boolean>();
  let s = 0;
  const add = (tier: Tier, n: number, key: (i: number) => number, ok: (i: number) => boolean) => {
    for (let i = 0; i < n; i++, s++) {
      items.push({ source: s, tier, key: key(i) });
      right.set(s, ok(i));
    }
  };
  // a deterministic "random" draw per item, so the truth does not follow the keys' order exactly
  const u = (i: number, salt: number) => shuffleKey(i * 31 + salt);
  add(
    'exact-agree',
    4000,
    (i) => 40 + u(i, 1),
    (i) => u(i, 2) > 0.0005,
  );
  add(
    'base-agree',
    600,
    (i) => 20 + u(i, 3),
    (i) => u(i, 4) > 0.001,
  );
  add(
    'exact',
    800,
    (i) => 39 + u(i, 5),
    (i) => u(i, 6) > 0.5,
  );
  // mutual bests: right with probability rising with the confidence (97 % overall)
  add(
    'model',
    2500,
    (i) => u(i, 7) - 1,
    (i) => u(i, 8) > 0.06 * (1 - u(i, 7)) ** 0.5 * 1.5,
  );
  return { items, right };
}

/** Rounds of a review: each round audits a block at a time what `choose` names first (re-planned
 *  after every block's verdicts, as mmea simulate does), the oracle answering from the truth, up to
 *  `most` a round; then accept above the thresholds. What was accepted, and the delivered precision. */
function review(choose: (samples: AuditSample[], open: AuditCandidate[], confirmed: number, most: number) => AuditCandidate[], rounds: number, most = 500) {
  const { items, right } = syntheticQueue();
  const samples: AuditSample[] = [];
  let open = items;
  let confirmed = 0;
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let spent = 0;
    for (;;) {
      const block = choose(samples, open, confirmed, most - spent).slice(0, 25);
      if (!block.length) break;
      const picked = new Set(block);
      for (const o of block) {
        samples.push({ tier: o.tier, key: o.key, correct: right.get(o.source)! });
        if (right.get(o.source)) confirmed++;
      }
      spent += block.length;
      open = open.filter((o) => !picked.has(o));
    }
    perRound.push(spent);
  }
  const { thresholds } = acceptThresholds(samples, 0.99, ACCEPT_Z, { confirmed, open });
  const accepted = open.filter((o) => o.key >= thresholds[o.tier]);
  const acceptedRight = accepted.filter((o) => right.get(o.source)).length;
  const audits = perRound.reduce((a, b) => a + b, 0);
  return { audits, perRound, accepted: accepted.length, delivered: (confirmed + acceptedRight) / (confirmed + accepted.length), thresholds, wrongAudits: samples.filter((x) => !x.correct).length };
}

describe('the audit plan', () => {
  /** the next block of a round of 500 verdicts whose least audit share is 100 */
  const planned = (samples: AuditSample[], open: AuditCandidate[], confirmed: number, most = 500) =>
    planAudits({ samples, open, confirmed, precision: 0.99, z: ACCEPT_Z, least: Math.max(0, most - 400), most, take: 25 });

  it('audits a large clean tier until it vouches for it, not a dirty one, and keeps the precision promise', () => {
    const first = planAudits({ samples: [], open: syntheticQueue().items, confirmed: 0, precision: 0.99, z: ACCEPT_Z, least: 100, most: 500 });
    // ~400 right audits vouch for a tier at z = 2 on its own: the largest clean tier gets them
    // (a little less: each right audit is a confirmed pair, and the delivered set's budget counts it)
    expect(first.length).toBeGreaterThanOrEqual(300);
    expect(first.filter((o) => o.tier === 'exact-agree').length).toBeGreaterThanOrEqual(300);
    expect(first.some((o) => o.tier === 'exact')).toBe(false);
    const r = review(planned, 3);
    expect(r.delivered, JSON.stringify(r)).toBeGreaterThanOrEqual(0.99);
    expect(r.thresholds.exact).toBe(Infinity); // the 50 %-wrong tier is never accepted
    // both clean tiers are vouched for: nearly all of their 4,600 pairs, less those audited
    expect(Number.isFinite(r.thresholds['exact-agree']) && Number.isFinite(r.thresholds['base-agree'])).toBe(true);
    expect(r.accepted + r.audits).toBeGreaterThan(4500);
  });

  it('vouches for more pairs than the same audits drawn uniformly; a fixed uniform share vouches for none', () => {
    const p = review(planned, 3);
    /** audits drawn uniformly over the open acceptable items, `perRound[r]` in round r */
    const uniform = (perRound: number[]) => {
      let round = 0;
      let spent = 0;
      return (_s: AuditSample[], open: AuditCandidate[]) => {
        if (spent === perRound[round]) [round, spent] = [round + 1, 0];
        const n = Math.min(25, (perRound[round] ?? 0) - spent);
        spent += n;
        return [...open].sort((a, b) => shuffleKey(a.source * 7 + 3) - shuffleKey(b.source * 7 + 3)).slice(0, n);
      };
    };
    // the allocation alone: as many audits as the plan spent in each round
    const same = review(uniform(p.perRound), 3);
    expect(same.audits).toBe(p.audits);
    expect(same.delivered).toBeGreaterThanOrEqual(0.99);
    expect(p.accepted, `planned ${p.accepted}, uniform ${same.accepted}, ${p.audits} audits each`).toBeGreaterThan(1.05 * same.accepted);
    // the rule before: a fixed 20 % of each round's 500 verdicts, drawn uniformly
    const before = review(uniform([100, 100, 100]), 3);
    expect(before.accepted, 'a 20 % uniform share spread over every tier vouches for none').toBe(0);
    expect(p.accepted, `planned ${p.accepted}, 20 % uniform ${before.accepted}`).toBeGreaterThan(2 * before.accepted);
  });

  it("looks past the round: one wrong answer in a large tier's first block does not end its audits", () => {
    // DBP15K zh_en, round 1: 6,800 mutual bests, 25 audited, one wrong — the 99 % bound is ~650
    // right audits away, more than a round of 500, but it would vouch for ~6,000 pairs
    const open = Array.from({ length: 6766 }, (_, i) => ({ source: i, tier: 'model' as const, key: shuffleKey(i) - 1 }));
    const samples = Array.from({ length: 25 }, (_, i) => ({ tier: 'model' as const, key: shuffleKey(10000 + i) - 1, correct: i !== 7 }));
    const plan = (lookahead?: number) => planAudits({ samples, open, confirmed: 24, precision: 0.99, z: ACCEPT_Z, least: 0, most: 475, ...(lookahead && { lookahead }) });
    expect(plan()).toHaveLength(475);
    expect(plan(475)).toEqual([]); // a round's view alone (the rule's first version) audits none of it
  });

  it("weighs a tier's next audits as its audits so far say: a tier found ~97 % right is not audited past the least share", () => {
    // DBP15K zh_en's mutual bests: 7,000 open, 300 audited, 10 wrong spread over the keys. Weighed as
    // if every next audit came out right, 2,000 more looked like they would lift the bound to 99 %,
    // and four rounds spent 1,225 audits on it without vouching for one pair
    const open = Array.from({ length: 7000 }, (_, i) => ({ source: i, tier: 'model' as const, key: shuffleKey(i) - 1 }));
    const spread = Array.from({ length: 300 }, (_, i) => ({ tier: 'model' as const, key: shuffleKey(20000 + i) - 1, correct: i % 30 !== 5 }));
    const plan = (samples: AuditSample[]) => planAudits({ samples, open, confirmed: 290, precision: 0.99, z: ACCEPT_Z, least: 100, most: 500 });
    expect(plan(spread)).toHaveLength(100);
    // the same errors all in the keys' lowest tenth: the rest of the tier is clean, and worth auditing
    const low = spread.map((x, i) => ({ ...x, key: x.correct ? x.key : -0.9 - i / 1e4 }));
    expect(plan(low).length).toBeGreaterThan(400);
  });

  it('expects each item right with the precision of the audits at or above its key', () => {
    const audits = [
      { key: 0.9, correct: true },
      { key: 0.5, correct: true },
      { key: 0.3, correct: false },
      { key: 0.1, correct: false },
    ];
    // above every audit: right; at .4, 2 of 2 right; at .2, 2 of 3 (a third wrong each); at 0, half
    const queue = [0.95, 0.4, 0.2, 0.2, 0.2, 0, 0].map((key) => ({ key }));
    // the running sum of wrong: 0, 0, ⅓, ⅔ (rounds to 1: wrong), 1, 1.5 (rounds to 2: wrong), 2
    expect(expectedRight(audits, queue)).toEqual([true, true, true, false, true, false, true]);
    expect(expectedRight([], queue).every(Boolean)).toBe(true); // no audits yet: assumed clean
  });

  it('stops at the least share when no audit pays, and plans nothing when nothing is open', () => {
    // 50 open items: even all of them right cannot vouch for one more pair than they cost
    const few = syntheticQueue().items.slice(0, 50);
    expect(planAudits({ samples: [], open: few, confirmed: 0, precision: 0.99, z: ACCEPT_Z, least: 10, most: 500 })).toHaveLength(10);
    expect(planAudits({ samples: [], open: [], confirmed: 0, precision: 0.99, z: ACCEPT_Z, least: 10, most: 500 })).toEqual([]);
  });
});

describe("the app's audit order", () => {
  const queueItem = (source: number, anchor: boolean, c: number) => oneCandidate(source, c, anchor);
  // 2,000 anchors the model agrees with, 300 mutual bests without one
  const queue = [...Array.from({ length: 2000 }, (_, i) => queueItem(i, true, 0.1 + i / 1e5)), ...Array.from({ length: 300 }, (_, i) => queueItem(5000 + i, false, 0.1 + i / 1e4))];
  const confirm = confirmations();
  const audit = (s: number) => confirm(s, 10000 + s, { audit: true });

  it('shows first what the plan names: the large tier whose audits vouch for the most pairs', () => {
    const { items } = valuedQueue(queue, [], uri, 0.99);
    const ordered = orderQueue(items, 'audit');
    const planned = ordered.filter((q) => q.auditRank !== undefined);
    expect(planned.length).toBeGreaterThanOrEqual(300);
    expect(ordered.slice(0, planned.length)).toEqual(planned); // first, in the plan's order
    expect(planned.map((q) => q.auditRank)).toEqual(planned.map((_, i) => i));
    // the anchors' tier first (2,000 pairs to vouch for), until it is vouched for
    const anchorsFirst = planned.findIndex((q) => q.candidates[0]!.sameName !== 'exact');
    expect(anchorsFirst === -1 ? planned.length : anchorsFirst, planned.map((q) => (q.candidates[0]!.sameName ? 'a' : 'm')).join('')).toBeGreaterThanOrEqual(300);
  });

  it('reads the standing verdicts once, so an iterator gives the same thresholds as an array', () => {
    const standing = new Map(Array.from({ length: 450 }, (_, i) => [i, audit(i * 4)]));
    const fromArray = valuedQueue(queue, [...standing.values()], uri, 0.99).thresholds;
    expect(Number.isFinite(fromArray['exact-agree'])).toBe(true);
    expect(valuedQueue(queue, standing.values(), uri, 0.99).thresholds).toEqual(fromArray);
    expect(planAcceptance(queue, standing.values(), uri, 0.99).thresholds).toEqual(fromArray);
  });
});
