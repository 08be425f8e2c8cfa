// The simulated curator (`mmea simulate`): an oracle that answers from the ground truth, works
// through the app's own review queue (queue.ts, in the order asked for; name anchors first among a
// source's candidates where the data has names, lexical.ts), writes every verdict to the project's
// journal like the app does, and retrains (warm start: the same model and optimiser continue) after
// every round of R verdicts with the seeds, the confirmed pairs and the accepted ones.
//
// A confirmed set alone can never reach 90% recall with fewer verdicts than 90% of the pairs (one
// confirmation per verdict), so after every round, as the app's "accept above threshold" does, the
// first candidates of the acceptable items (the model's mutual bests and the name anchors) whose
// acceptKey is above their tier's threshold calibrated on the curator's verdicts are accepted: they
// are recorded as the model's confirmations, leave the queue and train the next rounds. The
// delivered alignment is the confirmed pairs plus every pair accepted so far
// (shared/curation.ts acceptThresholds, each tier on its own audits; exported with the justification
// semapv:SemanticSimilarityThresholdMatching). The precision it answers for is the delivered set's,
// confirmed pairs included, as the target measures it. The calibration uses audit items only: each
// round begins with them, a block at a time, drawn uniformly within the tier where a block vouches
// for the most pairs (shared/auditPlan.ts), at least the --audit share and more while a block pays;
// their confirmed pairs are held out of training (the round's held-out metrics) so the key on them
// is an honest sample of the key on the unreviewed rest of their tier. The value order spends the
// rest of a round on what the threshold would not accept anyway (expectedValues damps the rest). The
// ground truth is used only to answer and to measure, never to choose a threshold or an order.
import { join } from 'node:path';
import {
  ACCEPT_PRECISION,
  ACCEPT_Z,
  acceptKey,
  acceptThresholds,
  expectedValues,
  NO_THRESHOLDS,
  orderQueue,
  shuffleKey,
  takeAccepted,
  tierOf,
  TIERS,
  type QueueItem,
  type QueueOrder,
  type Tier,
} from '../../shared/curation';
import type { Verdict } from '../../shared/verdicts';
import type { Project } from '../data/project';
import { rowsById, type Features } from '../features/build';
import { mulberry32 } from '../random';
import { Trainer, type TrainOptions } from '../training/trainer';
import { EXPORT_FORMATS, mappingsOf, writeExports } from './export';
import { AUDIT_BLOCK, planAudits } from '../../shared/auditPlan';
import { Journal } from './journal';
import { buildQueue } from './queue';
import { addExtraLinks, readUriPairs, type ExtraLinksReport } from './extraLinks';
import { nameAnchors, projectLabels, rowNames } from './lexical';

export interface SimulateOptions {
  roundSize: number;
  order: QueueOrder;
  k: number;
  /** epochs before the first round, and per round (warm start) */
  initialEpochs: number;
  roundEpochs: number;
  /** least share of each round's verdicts spent on audit items (more while they pay: shared/auditPlan.ts) */
  audit: number;
  /** precision the delivered set must have (each tier's Wilson lower bound at ACCEPT_Z, under one budget) */
  precision: number;
  /** stop after this many verdicts (default: when 90% recall at the precision is reached or the queue is empty) */
  maxVerdicts: number;
  /** keep reviewing after reaching the target, up to maxVerdicts */
  continueAfterTarget: boolean;
  /** the audits' random order within each tier (--sim-seed) */
  seed: number;
  /** a file of pairs the dataset's links miss, which the oracle confirms like its links (extraLinks.ts) */
  extraLinks: string | null;
}

export const SIMULATE_DEFAULTS: SimulateOptions = {
  roundSize: 500,
  order: 'value',
  k: 5,
  initialEpochs: 150,
  roundEpochs: 50,
  audit: 0.1,
  precision: ACCEPT_PRECISION,
  maxVerdicts: Infinity,
  continueAfterTarget: false,
  seed: 1,
  extraLinks: null,
};

export interface CurvePoint {
  round: number;
  verdicts: number;
  /** verdicts / pairs to find */
  reviewedFraction: number;
  confirmed: number;
  /** recall of the confirmed pairs alone */
  confirmedRecall: number;
  /** accepted without review: the model's first candidates above their tier's threshold */
  accepted: number;
  /** the acceptable items per tier still open after this point's acceptance: what the next audits
   *  may sample and a tier's threshold may still take */
  open: Partial<Record<Tier, number>>;
  /** the audits the round before this point spent, per tier (shared/auditPlan.ts chose them) */
  audits: Partial<Record<Tier, number>>;
  /** the tiers' thresholds on acceptKey that the audits vouch for (tiers without one left out) */
  thresholds: Partial<Record<Tier, number>>;
  /** recall and precision of confirmed ∪ accepted against the pairs to find */
  recall: number;
  precision: number;
  /** the current model on the held-out (audit) confirmed pairs: first candidate right */
  heldOut: { pairs: number; hits1: number } | null;
  epoch: number;
  seconds: number;
}

export interface SimulateResult {
  data: string;
  order: QueueOrder;
  options: SimulateOptions;
  /** true pairs outside the seeds: the denominators (--extra-links' added ones included) */
  pairsToFind: number;
  /** what became of --extra-links' pairs */
  extraLinks: ExtraLinksReport | null;
  seeds: number;
  curve: CurvePoint[];
  reviewedFractionAt90Recall: number | null;
  exports: string[];
}

export interface SimulateHooks {
  onPoint?(p: CurvePoint): void;
  onEpoch?(epoch: number, loss: number): void;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export async function simulate(project: Project, features: Features, train: TrainOptions, o: SimulateOptions, out: string, hooks: SimulateHooks = {}): Promise<SimulateResult> {
  const f = features;
  const t0 = performance.now();
  const rowOf = rowsById(f.rowIds);
  const uri = (row: number) => project.nameOf(f.rowIds[row]!).uri;
  // the seeds the curator starts from, and the truth the oracle answers from
  const seeds = new Int32Array([...f.split.train, ...f.split.valid]);
  const truth = new Map<number, number>();
  const toFind = f.split.test;
  for (let i = 0; i < toFind.length; i += 2) truth.set(toFind[i]!, toFind[i + 1]!);
  let extraLinks: ExtraLinksReport | null = null;
  if (o.extraLinks) {
    const rowOfUri = (side: 1 | 2, u: string) => {
      const id = project.idOfUri(side, u);
      return id === undefined ? undefined : rowOf.get(id);
    };
    extraLinks = addExtraLinks(await readUriPairs(o.extraLinks), truth, new Set(seeds), rowOfUri);
  }
  const N = truth.size;
  // the trainer's one loop, evaluated once after each round's epochs (the oracle's rounds measure
  // themselves below), without pseudo-labels (the simulated curator's confirmations are the labels)
  const trainer = new Trainer(features, { ...train, epochs: Number.MAX_SAFE_INTEGER, checkPoint: Number.MAX_SAFE_INTEGER, iterative: 'off' });
  trainer.train = seeds;
  const { journal } = Journal.open(project.path);
  // the audits' random order within each tier, from --sim-seed
  const mix = Math.floor(mulberry32(o.seed)() * 2 ** 31);
  const shuffle = (id: number) => shuffleKey(id ^ mix);
  const nameOf = rowNames(projectLabels(project), f);
  const epochs = (n: number) => trainer.runEpochs(n, { onEpoch: (e) => hooks.onEpoch?.(e.epoch, e.loss) });
  try {
    await epochs(o.initialEpochs);
    const confirmed = new Map<number, number>(); // source row → target row
    const heldOut = new Set<number>(); // audit-confirmed sources, never trained on
    const none = new Set<number>(); // no counterpart
    const auditNone = new Set<number>();
    const rejected = new Map<number, Set<number>>();
    const auditRejected = new Set<number>();
    let verdicts = 0;
    let reached: number | null = null;
    const curve: CurvePoint[] = [];
    let lastAudits: Partial<Record<Tier, number>> = {};
    // the round each source was audited in, and each tier's latest acceptance: an audit from before
    // its tier's last acceptance no longer stands for the tier's open items (accept.ts does the same
    // with the journal's sequence numbers)
    const auditedIn = new Map<number, number>();
    const acceptedIn = new Map<Tier, number>();
    // the pairs "accept above threshold" took, as the app records them: standing model confirmations
    // that leave the queue, train the next rounds and are never reviewed (unless the oracle, finding
    // another source's right target taken by one, replaces it as a curator would)
    const accepted = new Map<number, { target: number; score: number; tier: Tier; key: number; risk: number }>();
    const record = (source: number, target: number | null, verdict: Verdict, round: number, score: number | null, note: string | null = null, replace = false) =>
      journal.append({ source: uri(source), target: target === null ? null : uri(target), verdict, curator: 'oracle', round, score, note, ...(replace && { replace }) });
    for (let round = 0; ; round++) {
      const aligned = new Uint8Array(f.rows);
      for (let i = 0; i < seeds.length; i++) aligned[seeds[i]!] = 1;
      for (const [s, t] of confirmed) if (!heldOut.has(s)) aligned[s] = aligned[t] = 1;
      for (const [s, { target }] of accepted) aligned[s] = aligned[target] = 1;
      // held-out pairs stay in the queue for calibration but are not reviewed again
      const sources: number[] = [];
      const targets: number[] = [];
      for (let r = 0; r < f.rows1; r++) if (!aligned[r] && (!none.has(r) || auditNone.has(r))) sources.push(r);
      for (let r = f.rows1; r < f.rows; r++) if (!aligned[r]) targets.push(r);
      const calibration = new Set([...heldOut, ...auditNone, ...auditRejected]);
      const exclude = new Map([...rejected].filter(([s]) => !calibration.has(s)));
      const anchors = nameAnchors(nameOf, sources, targets);
      const queue = await buildQueue(trainer, { sources: Int32Array.from(sources), targets: Int32Array.from(targets), k: o.k, exclude, aligned, anchors });
      /** the audits that stand for their tier's open items, with the round each was given in */
      let samples: { tier: Tier; key: number; correct: boolean; at: number }[] = [];
      let hits = 0;
      for (const q of queue) {
        const s = rowOf.get(q.source)!;
        if (!calibration.has(s)) continue;
        const first = rowOf.get(q.candidates[0]!.target)!;
        const ok = heldOut.has(s) && confirmed.get(s) === first;
        if (ok) hits++; // the held-out H@1 counts every held-out pair
        const tier = tierOf(q);
        if (tier === null) continue; // a sample only where it could be accepted
        const at = auditedIn.get(s)!;
        if (at < (acceptedIn.get(tier) ?? -1)) continue;
        if (heldOut.has(s)) samples.push({ tier, key: acceptKey(q), correct: ok, at });
        else if (auditNone.has(s)) samples.push({ tier, key: acceptKey(q), correct: false, at });
        else if (rejected.get(s)?.has(first)) samples.push({ tier, key: acceptKey(q), correct: false, at });
        // an audit-rejected source with a new first candidate: its answer is unknown
      }
      const unreviewed = queue.filter((q) => !calibration.has(rowOf.get(q.source)!) && !none.has(rowOf.get(q.source)!));
      // the precision asked for is the delivered set's: the confirmed pairs and the accepted ones
      // (the budget counts the oracle's confirmations as right, never the earlier accepted pairs:
      // they are only as sure as the promise they were taken under; accept.ts does the same)
      const openKeys = unreviewed.flatMap((q) => {
        const tier = tierOf(q);
        return tier === null ? [] : [{ tier, key: acceptKey(q) }];
      });
      const prior = { accepted: accepted.size, risk: [...accepted.values()].reduce((x, a) => x + a.risk, 0) };
      const { thresholds, risk } = samples.length ? acceptThresholds(samples, o.precision, ACCEPT_Z, { confirmed: confirmed.size, open: openKeys, prior }) : { thresholds: NO_THRESHOLDS, risk: null };
      // what reviewing is worth, now that the threshold says which items would be accepted anyway
      const values = expectedValues(unreviewed, thresholds);
      const valued = unreviewed.map((q, i) => ({ ...q, value: values[i]! }));
      // accepted now: the open items' first candidates above their tier's threshold, best first,
      // 1-to-1 with every standing pair; recorded as the app records them
      const usedTargets = new Set([...confirmed.values(), ...[...accepted.values()].map((a) => a.target)].map((r) => f.rowIds[r]!));
      const justAccepted = new Set<QueueItem>();
      for (const q of takeAccepted(valued, thresholds, usedTargets)) {
        justAccepted.add(q);
        const s = rowOf.get(q.source)!;
        const tier = tierOf(q)!;
        const a = { target: rowOf.get(q.candidates[0]!.target)!, score: q.candidates[0]!.score, tier, key: acceptKey(q), risk: risk![tier] };
        accepted.set(s, a);
        acceptedIn.set(tier, round);
        journal.append({
          source: uri(s),
          target: uri(a.target),
          verdict: 'confirm',
          curator: 'model',
          round,
          score: a.score,
          justification: 'threshold',
          risk: a.risk,
          tier: a.tier,
          note: `acceptKey ${a.key.toFixed(4)} ≥ the ${a.tier} tier's calibrated threshold ${thresholds[a.tier].toFixed(4)}`,
        });
      }
      // a tier that accepted now: its earlier audits no longer stand for what is left of it
      samples = samples.filter((x) => x.at >= (acceptedIn.get(x.tier) ?? -1));
      // what is left to review: a pair accepted now stands (the app's accepted pairs leave the queue
      // too); auditing it, the oracle found its own target taken and answered "no counterpart"
      const open = valued.filter((q) => !justAccepted.has(q));
      let right = 0;
      for (const [s, t] of confirmed) if (truth.get(s) === t) right++;
      const confirmedRight = right;
      for (const [s, { target }] of accepted) if (truth.get(s) === target) right++;
      const delivered = confirmed.size + accepted.size;
      const point: CurvePoint = {
        round,
        verdicts,
        reviewedFraction: r4(verdicts / N),
        confirmed: confirmed.size,
        confirmedRecall: r4(confirmedRight / N),
        accepted: accepted.size,
        open: Object.fromEntries(TIERS.map((t) => [t, open.filter((q) => tierOf(q) === t).length]).filter(([, n]) => n)),
        audits: lastAudits,
        thresholds: Object.fromEntries(
          Object.entries(thresholds)
            .filter(([, t]) => Number.isFinite(t))
            .map(([k, t]) => [k, r4(t)]),
        ),
        recall: r4(right / N),
        precision: delivered ? r4(right / delivered) : 1,
        heldOut: heldOut.size ? { pairs: heldOut.size, hits1: r4(hits / heldOut.size) } : null,
        epoch: trainer.epoch,
        seconds: Math.round((performance.now() - t0) / 1000),
      };
      curve.push(point);
      hooks.onPoint?.(point);
      if (reached === null && point.recall >= 0.9 && point.precision >= o.precision) reached = point.reviewedFraction;
      if ((reached !== null && !o.continueAfterTarget) || verdicts >= o.maxVerdicts || open.length === 0) break;
      // this round's verdicts: audits first, a block at a time where they vouch for the most pairs
      // (shared/auditPlan.ts; at least the --audit share, more while a block pays), each block
      // planned on the verdicts of the ones before; then the rest in the queue's order
      const budget = Math.min(o.roundSize, o.maxVerdicts - verdicts, open.length);
      // a right target an earlier pair holds (confirmed, or accepted by the model) is not among the
      // candidates any more: the oracle says "no counterpart", as a curator shown the rest would
      const taken = new Set([...confirmed.values(), ...[...accepted.values()].map((a) => a.target)]);
      /** the oracle's verdict on q; whether it confirmed q's first candidate */
      const answer = (q: QueueItem, isAudit: boolean): boolean => {
        const s = rowOf.get(q.source)!;
        const gold = truth.get(s);
        const shown = q.candidates.map((c) => rowOf.get(c.target)!);
        verdicts++;
        if (gold === undefined || taken.has(gold)) {
          none.add(s);
          if (isAudit) auditNone.add(s);
          record(s, null, 'none', round + 1, null, isAudit ? 'audit' : null);
          return false;
        }
        if (shown.includes(gold)) {
          confirmed.set(s, gold);
          taken.add(gold);
          if (isAudit) heldOut.add(s);
          record(s, gold, 'confirm', round + 1, q.candidates[shown.indexOf(gold)]!.score, isAudit ? 'audit' : null);
          return shown[0] === gold;
        }
        const set = rejected.get(s) ?? new Set<number>();
        for (const t of shown) set.add(t);
        rejected.set(s, set);
        if (isAudit) auditRejected.add(s);
        for (const [i, t] of shown.entries()) record(s, t, 'reject', round + 1, q.candidates[i]!.score, isAudit ? 'audit' : null);
        return false;
      };
      const bySource = new Map(open.map((q) => [q.source, q]));
      const audited = new Set<QueueItem>();
      const candidates = open.flatMap((q) => {
        const tier = tierOf(q);
        return tier === null ? [] : [{ source: q.source, tier, key: acceptKey(q) }];
      });
      const least = Math.min(budget, Math.round(budget * o.audit));
      lastAudits = {};
      for (;;) {
        const block = planAudits({
          samples,
          open: candidates.filter((c) => !audited.has(bySource.get(c.source)!)),
          confirmed: confirmed.size,
          prior: { accepted: accepted.size, risk: [...accepted.values()].reduce((x, a) => x + a.risk, 0) },
          precision: o.precision,
          z: ACCEPT_Z,
          least: Math.max(0, least - audited.size),
          most: budget - audited.size,
          take: AUDIT_BLOCK,
          shuffle,
        });
        if (!block.length) break;
        for (const c of block) {
          const q = bySource.get(c.source)!;
          audited.add(q);
          auditedIn.set(rowOf.get(q.source)!, round);
          lastAudits[c.tier] = (lastAudits[c.tier] ?? 0) + 1;
          samples.push({ tier: c.tier, key: c.key, correct: answer(q, true), at: round });
        }
      }
      for (const q of orderQueue(open, o.order)
        .filter((x) => !audited.has(x))
        .slice(0, budget - audited.size))
        answer(q, false);
      const pairs: number[] = [...seeds];
      for (const [s, t] of confirmed) if (!heldOut.has(s)) pairs.push(s, t);
      for (const [s, { target }] of accepted) pairs.push(s, target); // the app trains on them too
      trainer.train = Int32Array.from(pairs);
      await epochs(o.roundEpochs);
    }
    // the delivered alignment (the journal holds the accepted pairs since their round) in every export
    const mappings = mappingsOf(project, journal.state().values(), true);
    const exports = writeExports(out, EXPORT_FORMATS, mappings, { name: project.manifest.name, created: new Date().toISOString(), tool: 'MMEA Studio mmea simulate' });
    return { data: project.manifest.source.path, order: o.order, options: o, pairsToFind: N, extraLinks, seeds: seeds.length / 2, curve, reviewedFractionAt90Recall: reached, exports };
  } finally {
    journal.close();
    try {
      trainer.dispose();
    } catch (e) {
      // after a failed step the backend may be unusable: the first error is the one to report
      process.stderr.write(`mmea: disposing the model failed too: ${(e as Error).message}\n`);
    }
  }
}

export const SIMULATION_PROJECT = (out: string) => join(out, 'project');
