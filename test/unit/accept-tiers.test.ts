// "Accept above threshold" keeps its precision promise when one tier of acceptable items is dirty
// (issue 23): exact-name anchors the model does not rank first are 50 % wrong (machine-translated
// names), while the anchors it agrees with are clean; the audits sampled both, but the review has
// already taken most of the clean ones, so the open items are mostly dirty ones. A bound computed over
// the mix of samples vouched for the open mix and delivered ~.96; calibrated per tier, the dirty tier
// is not accepted on the clean tier's word and the delivered precision, checked against the truth,
// stays ≥ the target.
import { describe, expect, it } from 'vitest';
import { planAcceptance } from '../../src/engine/curation/accept';
import type { QueueItem } from '../../src/shared/curation';
import type { VerdictEntry } from '../../src/shared/verdicts';
import { confirmations, oneCandidate, uri } from './curationFixtures';

/** source s, its anchor target 10000 + s first (sameName 'exact'); the model agrees (its own best is
 *  the anchor: confidence > 0) or prefers 20000 + s (confidence < 0) */
function anchored(source: number, agrees: boolean, spread: number): QueueItem {
  const anchorScore = agrees ? 0.8 : 0.5;
  const other = agrees ? 0.4 : 0.7;
  const confidence = (agrees ? 0.4 : -0.2) + spread;
  return {
    source,
    candidates: [
      { target: 10000 + source, score: anchorScore, cosine: anchorScore, modalities: {}, sameName: 'exact' },
      { target: 20000 + source, score: other, cosine: other, modalities: {} },
    ],
    margin: anchorScore - other,
    reverseMargin: confidence,
    confidence,
    impact: 0,
    disagreement: 0,
    value: 0,
  };
}

describe('accept above threshold with a dirty tier', () => {
  it('keeps the delivered precision ≥ the target, checked against the truth', () => {
    const queue: QueueItem[] = [];
    const truth = new Map<number, number>(); // source → its right target
    const standing: VerdictEntry[] = [];
    const confirm = confirmations();
    const verdict = (source: number, target: number, audit: boolean) => confirm(source, target, audit ? { audit } : {});
    let s = 0;
    // 300 audited clean anchors (the model agrees), all right
    for (let i = 0; i < 300; i++, s++) {
      queue.push(anchored(s, true, i / 3000));
      truth.set(s, 10000 + s);
      standing.push(verdict(s, 10000 + s, true));
    }
    // 20 audited dirty anchors (the model does not agree): 10 right, 10 whose right target is the model's
    for (let i = 0; i < 20; i++, s++) {
      queue.push(anchored(s, false, i / 3000));
      const right = i % 2 === 0 ? 10000 + s : 20000 + s;
      truth.set(s, right);
      standing.push(verdict(s, right, true));
    }
    // 2,000 pairs the curator confirmed in review (right: the curator's word), not in this queue
    for (let i = 0; i < 2000; i++) standing.push(verdict(100000 + i, 200000 + i, false));
    // open: the 10 clean anchors the review has not reached, and 200 dirty ones, half wrong
    const open: number[] = [];
    for (let i = 0; i < 10; i++, s++) {
      queue.push(anchored(s, true, i / 1000));
      truth.set(s, 10000 + s);
      open.push(s);
    }
    for (let i = 0; i < 200; i++, s++) {
      queue.push(anchored(s, false, i / 1000));
      truth.set(s, i % 2 === 0 ? 10000 + s : 20000 + s);
      open.push(s);
    }

    const plan = planAcceptance(queue, standing, uri, 0.99);
    const confirmed = 2000 + 320; // every confirmation is right (the curator's word)
    const right = plan.accept.filter((a) => truth.get(a.source) === a.target).length;
    const delivered = (confirmed + right) / (confirmed + plan.accept.length);
    expect(delivered, `${plan.accept.length} accepted, ${right} right`).toBeGreaterThanOrEqual(0.99);
    // and the clean open anchors are still accepted: the rule takes the clean part, not nothing
    expect(plan.accept.filter((a) => a.source < 330).length).toBe(10);
  });
});

describe('accept above threshold over repeated acceptances', () => {
  it("counts only a person's confirmations as right in the budget, never an earlier acceptance's pairs", () => {
    // 300 audited mutual bests, one wrong in every 60 (their bound never reaches .99 alone), and
    // 1,000 open ones over the same confidences
    const item = (source: number, confidence: number) => oneCandidate(source, confidence);
    const queue = [...Array.from({ length: 300 }, (_, i) => item(i, 1 - i / 300)), ...Array.from({ length: 1000 }, (_, i) => item(1000 + i, 1 - i / 1000))];
    const confirm = confirmations();
    const entry = (source: number, target: number, audit: boolean, justification: 'manual' | 'threshold') =>
      confirm(source, target, { curator: justification === 'manual' ? 'c' : 'model', justification, ...(audit && { audit }) });
    const audits = Array.from({ length: 300 }, (_, i) => entry(i, i % 60 === 59 ? 30000 + i : 10000 + i, true, 'manual'));
    const earlier = (justification: 'manual' | 'threshold') => Array.from({ length: 2000 }, (_, i) => entry(100000 + i, 200000 + i, false, justification));
    const accepted = (standing: VerdictEntry[]) => planAcceptance(queue, standing, uri, 0.99).accept.length;
    const alone = accepted(audits); // the 300 audited confirmations leave some room already
    // 2,000 more pairs a person confirmed leave more room for a slightly less sure accepted part …
    expect(accepted([...audits, ...earlier('manual')])).toBeGreaterThan(alone + 500);
    // … 2,000 pairs an earlier acceptance took leave none: they are only as sure as its own promise
    expect(accepted([...audits, ...earlier('threshold')])).toBe(alone);
  });
});

describe('accept above threshold round after round', () => {
  /** Rounds of the app's loop: plan, record what it accepts as the model's confirmations (with the
   *  risk the plan gives each), then new open items; the delivered precision against the truth. */
  function rounds(tierRight: number, samples: number, openPerRound: number): { delivered: number; accepted: number } {
    const standing: VerdictEntry[] = [];
    const confirm = confirmations();
    const truth = new Map<number, number>();
    // anchors the model also ranks first (one tier), right with probability tierRight
    const item = (source: number, confidence: number) => oneCandidate(source, confidence, true);
    const right = (i: number) => (i * 7919) % 1000 < tierRight * 1000;
    let s = 0;
    const queue: QueueItem[] = [];
    const span = Math.min(samples, 100); // the open items' keys lie among the audited ones'
    for (let i = 0; i < samples; i++, s++) {
      queue.push(item(s, 0.5 + (i % span) / 1000));
      truth.set(s, right(i) ? 10000 + s : 20000 + s);
      standing.push(confirm(s, truth.get(s)!, { audit: true }));
    }
    for (let i = 0; i < 1500; i++) standing.push(confirm(100000 + i, 200000 + i, {})); // a person's
    let accepted = 0;
    let acceptedRight = 0;
    for (let round = 0; round < 5; round++) {
      const open: QueueItem[] = [];
      for (let i = 0; i < openPerRound; i++, s++) {
        open.push(item(s, 0.5 + (i % span) / 1000));
        truth.set(s, right(s) ? 10000 + s : 20000 + s);
      }
      const plan = planAcceptance([...queue, ...open], standing, uri, 0.99);
      for (const a of plan.accept) {
        standing.push(confirm(a.source, a.target, { curator: 'model', justification: 'threshold', risk: a.risk }));
        accepted++;
        if (truth.get(a.source) === a.target) acceptedRight++;
      }
    }
    return { delivered: (1500 + samples + acceptedRight) / (1500 + samples + accepted), accepted };
  }

  it('keeps the delivered precision over every acceptance so far, not each one alone', () => {
    // a tier right 97 % of the time, its 600 audits' bound ~.96: each round alone could take
    // ~400 pairs against the 2,100 confirmed; five rounds of that deliver ~.985
    const r = rounds(0.97, 600, 400);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.delivered).toBeGreaterThanOrEqual(0.99);
  });

  it('never accepts a tier whose own audits are far from the target, whatever the confirmed cushion', () => {
    // right half the time: 20 audits, bound ~.39; the cushion of 1,520 confirmed pairs would pay
    // for 25 of its pairs in one round (what DBP15K zh_en's exact anchors got: 25 accepted, 12 right)
    expect(rounds(0.5, 20, 25).accepted).toBe(0);
  });
});

describe('accept above threshold after an acceptance', () => {
  it("calibrates a tier's next acceptance on audits given after its last one, not on the pool that acceptance took", () => {
    // FB15K-DB15K without names, rounds 6–8: delivered .9905 → .9881 at a promised .99. 500 audits,
    // all right, vouched for the mutual bests; the acceptance took the open items above the
    // threshold; later the items rising above it were dirtier (96 % right), and the same old audits
    // — a sample of the pool the acceptance took — vouched for them too.
    const item = (source: number, confidence: number) => oneCandidate(source, confidence);
    const confirmed = confirmations();
    const confirm = (source: number, extra: Partial<VerdictEntry>) => confirmed(source, 10000 + source, extra);
    const audits = Array.from({ length: 500 }, (_, i) => confirm(i, { audit: true }));
    const auditedItems = Array.from({ length: 500 }, (_, i) => item(i, 0.001 + i / 500));
    // the first acceptance: 3,000 pairs, all right, recorded with their tier and risk
    const first = planAcceptance([...auditedItems, ...Array.from({ length: 3000 }, (_, i) => item(1000 + i, 0.001 + i / 3000))], audits, uri, 0.99);
    expect(first.accept.length).toBeGreaterThan(2500);
    const accepted = first.accept.map((a) => confirm(a.source, { curator: 'model', justification: 'threshold', risk: a.risk, tier: a.tier }));
    // then 1,500 mutual bests rise into reach, one in 25 wrong
    const risers = Array.from({ length: 1500 }, (_, i) => item(5000 + i, 0.3 + (0.7 * i) / 1500));
    const wrong = (source: number) => source >= 5000 && source % 25 === 0;
    const delivered = (standing: VerdictEntry[]) => {
      const plan = planAcceptance([...auditedItems, ...risers], standing, uri, 0.99);
      const wrongs = plan.accept.filter((a) => wrong(a.source)).length;
      return { accepted: plan.accept.length, precision: 1 - wrongs / (500 + accepted.length + plan.accept.length) };
    };
    expect(delivered([...audits, ...accepted]).precision).toBeGreaterThanOrEqual(0.99);
    // the same holds for an acceptance recorded before the tier was (it counts for every tier)
    expect(delivered([...audits, ...accepted.map(({ tier: _, ...a }) => a)]).precision).toBeGreaterThanOrEqual(0.99);
    // fresh audits given after the acceptance vouch again
    const fresh = risers.filter((_, i) => i % 3 === 0).map((q) => confirm(q.source, { audit: true, ...(wrong(q.source) && { target: uri(20000 + q.source) }) }));
    const after = planAcceptance([...auditedItems, ...risers], [...audits, ...accepted, ...fresh], uri, 0.99);
    expect(after.audits).toBe(fresh.length);
  });
});

describe('accept above threshold with thinly described pairs', () => {
  // DBP15K zh_en's pattern (shared/curation.ts THIN_FACTS): the model's most confident mutual bests
  // are pairs of entities in one triple each, nearly all wrong (sources without a counterpart, alone in
  // the graph); the well-described mutual bests below them are right
  const build = (withFacts: boolean) => {
    const queue: QueueItem[] = [];
    const truth = new Map<number, number>();
    const standing: VerdictEntry[] = [];
    const confirm = confirmations();
    let s = 0;
    const add = (n: number, thin: boolean, audited: boolean) => {
      for (let i = 0; i < n; i++, s++) {
        // thin pairs at the top of the confidences, described ones below; one in ten thin is right
        const q = oneCandidate(s, (thin ? 0.8 : 0.4) + (i / n) * 0.1);
        if (withFacts) q.facts = thin ? { source: 1, target: 1 } : { source: 6, target: 9 };
        queue.push(q);
        const right = !thin || i % 10 === 0;
        truth.set(s, right ? 10000 + s : 30000 + s);
        if (audited) standing.push(right ? confirm(s, 10000 + s, { audit: true }) : { ...confirm(s, 10000 + s, { audit: true }), verdict: 'none', target: null });
      }
    };
    add(450, false, true);
    add(100, true, true);
    add(1000, false, false);
    add(300, true, false);
    return { plan: planAcceptance(queue, standing, uri, 0.99), truth };
  };

  it('calibrates them apart, so the described mutual bests are accepted on their own audits', () => {
    const { plan, truth } = build(true);
    expect(plan.tierAudits).toEqual({ model: 450, 'model-thin': 100 });
    const right = plan.accept.filter((a) => truth.get(a.source) === a.target).length;
    expect(plan.accept.every((a) => a.tier === 'model')).toBe(true);
    expect(plan.accept).toHaveLength(1000);
    expect(right).toBe(1000);
  });

  it('accepts none of the same queue as one tier: the thin pairs foul the top of its keys', () => {
    const { plan } = build(false);
    expect(plan.tierAudits).toEqual({ model: 550 });
    expect(plan.accept).toHaveLength(0);
  });
});
