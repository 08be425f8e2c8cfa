// "Accept above threshold": the first candidates whose acceptKey (name anchors first, then the
// model's mutual bests by confidence plus name similarity) is above their tier's threshold, each
// tier calibrated on its own audit verdicts (a uniform sample of the queue's acceptable items, given
// in the review's audit order and held out of training), taken 1-to-1, most confident first. The same
// rule `mmea simulate` measures (shared/curation.ts acceptThresholds, asked for the delivered set's
// precision: the confirmed pairs plus the accepted ones). Our own code: it is the product's logic.
import { ACCEPT_Z, acceptKey, acceptThresholds, expectedValues, NO_THRESHOLDS, takeAccepted, tierOf, type QueueItem, type Thresholds, type Tier } from '../../shared/curation';
import { planAudits, type AuditCandidate, type AuditSample } from '../../shared/auditPlan';
import type { VerdictEntry } from '../../shared/verdicts';

export interface AcceptPlan {
  /** each tier's threshold on acceptKey; Infinity where its audits vouch for none yet */
  thresholds: Thresholds;
  /** audit verdicts the thresholds were calibrated on, and how many of them found the first candidate right */
  audits: number;
  auditsRight: number;
  /** audits per tier (what each tier's threshold rests on) */
  tierAudits: Partial<Record<Tier, number>>;
  confirmed: number;
  /** pairs to accept (ids), surest first; `confidence` is the acceptKey they were ranked by, `risk`
   *  the estimated chance the pair is wrong (recorded with it: later acceptances count it) */
  accept: { source: number; target: number; score: number; confidence: number; tier: Tier; risk: number }[];
}

interface Evidence {
  confirmedOf: Map<string, string>;
  manual: number;
  prior: { accepted: number; risk: number };
  samples: AuditSample[];
  open: QueueItem[];
  openKeys: AuditCandidate[];
}

/** What the standing verdicts say of the queue: the audit samples (tier, key, right) the thresholds
 *  are calibrated on, the open items, a person's confirmations, the earlier acceptances. */
function evidenceOf(queue: QueueItem[], standing: Iterable<VerdictEntry>, uri: (id: number) => string, precision: number): Evidence {
  const confirmedOf = new Map<string, string>();
  /** confirmations by a person: the only ones the budget counts as right (an earlier acceptance's
   *  pairs are only as sure as its own promise; counting them right would let each acceptance spend
   *  the last one's margin again) */
  let manual = 0;
  /** the pairs earlier acceptances took, and the sum of their risks (one recorded without a risk
   *  counts at the target's own error rate) */
  const prior = { accepted: 0, risk: 0 };
  const audited = new Map<string, number>(); // source → the seq of its latest audit verdict
  /** per tier, the seq of its latest acceptance (one recorded without its tier counts for all) */
  const acceptedAt = new Map<Tier | undefined, number>();
  const decided = new Set<string>(); // sources with any standing verdict but skip
  const rejected = new Set<string>();
  const none = new Set<string>();
  for (const v of standing) {
    if (v.audit) audited.set(v.source, Math.max(v.seq, audited.get(v.source) ?? 0));
    if (v.verdict !== 'skip') decided.add(v.source);
    if (v.verdict === 'confirm' && v.target !== null) {
      confirmedOf.set(v.source, v.target);
      if (v.justification !== 'threshold') manual++;
      else {
        prior.accepted++;
        prior.risk += v.risk ?? 1 - precision;
        acceptedAt.set(v.tier, Math.max(v.seq, acceptedAt.get(v.tier) ?? 0));
      }
    }
    if (v.verdict === 'reject' && v.target !== null) rejected.add(`${v.source}\t${v.target}`);
    if (v.verdict === 'none') none.add(v.source);
  }
  const samples: AuditSample[] = [];
  const open: QueueItem[] = [];
  for (const q of queue) {
    const s = uri(q.source);
    const first = q.candidates[0];
    if (!first) continue;
    if (audited.has(s)) {
      const tier = tierOf(q);
      if (tier === null) continue; // never to be accepted: it says nothing of those that may be
      // an audit given before its tier's last acceptance sampled a pool that acceptance has since
      // taken the top of: it no longer stands for the tier's open items (FB15K-DB15K without names
      // delivered .988 at a promised .99 while old audits vouched for the items rising into reach)
      if (audited.get(s)! < Math.max(acceptedAt.get(tier) ?? 0, acceptedAt.get(undefined) ?? 0)) continue;
      const t = uri(first.target);
      if (confirmedOf.has(s)) samples.push({ tier, key: acceptKey(q), correct: confirmedOf.get(s) === t });
      else if (none.has(s) || rejected.has(`${s}\t${t}`)) samples.push({ tier, key: acceptKey(q), correct: false });
    } else if (!decided.has(s)) open.push(q);
  }
  const openKeys = open.flatMap((q) => {
    const tier = tierOf(q);
    return tier === null ? [] : [{ source: q.source, tier, key: acceptKey(q) }];
  });
  return { confirmedOf, manual, prior, samples, open, openKeys };
}

/**
 * `queue`: the current round's; `standing`: the project's standing verdicts; `uri`: an entity id's
 * URI. An audited source counts right when its confirmed target is the queue's first candidate,
 * wrong when it has no counterpart or its first candidate was rejected; open items are those with
 * no standing verdict on their source.
 */
export function planAcceptance(queue: QueueItem[], standing: Iterable<VerdictEntry>, uri: (id: number) => string, precision: number, z = ACCEPT_Z): AcceptPlan {
  return acceptanceFrom(evidenceOf(queue, standing, uri, precision), queue, uri, precision, z);
}

function acceptanceFrom(evidence: Evidence, queue: QueueItem[], uri: (id: number) => string, precision: number, z: number): AcceptPlan {
  const { confirmedOf, manual, prior, samples, open, openKeys } = evidence;
  const { thresholds, risk } = samples.length ? acceptThresholds(samples, precision, z, { confirmed: manual, open: openKeys, prior }) : { thresholds: NO_THRESHOLDS, risk: null };
  // confirmed targets by id: the queue names every target it proposes
  const confirmedTargets = new Set([...confirmedOf.values()]);
  const used = new Set<number>();
  for (const q of queue) for (const c of q.candidates) if (confirmedTargets.has(uri(c.target))) used.add(c.target);
  const accept = takeAccepted(open, thresholds, used).map((q) => {
    const tier = tierOf(q)!;
    return { source: q.source, target: q.candidates[0]!.target, score: q.candidates[0]!.score, confidence: acceptKey(q), tier, risk: risk![tier] };
  });
  const tierAudits: Partial<Record<Tier, number>> = {};
  for (const x of samples) tierAudits[x.tier] = (tierAudits[x.tier] ?? 0) + 1;
  return { thresholds, audits: samples.length, auditsRight: samples.filter((x) => x.correct).length, tierAudits, confirmed: confirmedOf.size, accept };
}

/** The audits the app plans ahead of the curator: a round's worth (mmea simulate's rounds are 500
 *  verdicts), re-planned whenever the queue is fetched. */
export const AUDIT_HORIZON = 500;

/** The queue as the review shows it: what reviewing an item is worth drops to a tenth where the
 *  threshold the audits vouch for now would accept it anyway (shared/curation.ts expectedValues),
 *  as `mmea simulate` orders its rounds; unchanged while they vouch for none. The audit order shows
 *  first the items the audit plan names (shared/auditPlan.ts: where audits vouch for the most pairs),
 *  then the other acceptable items at random. */
export function valuedQueue(queue: QueueItem[], standing: Iterable<VerdictEntry>, uri: (id: number) => string, precision: number, z = ACCEPT_Z): { items: QueueItem[]; thresholds: Thresholds } {
  const evidence = evidenceOf(queue, standing, uri, precision); // `standing` may be read once only
  const { thresholds } = acceptanceFrom(evidence, queue, uri, precision, z);
  const audits = planAudits({ samples: evidence.samples, open: evidence.openKeys, confirmed: evidence.manual, prior: evidence.prior, precision, z, least: 0, most: AUDIT_HORIZON });
  const rank = new Map(audits.map((a, i) => [a.source, i]));
  const values = Object.values(thresholds).some(Number.isFinite) ? expectedValues(queue, thresholds) : null;
  const items = queue.map((q, i) => {
    const auditRank = rank.get(q.source);
    return { ...q, ...(values && { value: values[i]! }), ...(auditRank !== undefined && { auditRank }) };
  });
  return { items, thresholds };
}
