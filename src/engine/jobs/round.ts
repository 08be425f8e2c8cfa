// A curation round (the app's "train" and "retrain with confirmed pairs"), in the engine process:
// the chosen model trained on the project's seeds (but their validation part, on which a live
// validation curve is measured every check-point epochs and the round's epoch is selected) plus the
// curator's confirmed pairs, through the trainer's one loop (pseudo-labels with --iterative), warm-started
// from the last round that was not rolled back when it trained the same model (its parameters,
// optimiser moments and epoch), then the
// review queue for every still-unaligned source. A round folder records its seed set, checkpoint,
// metrics on the held-out part of the confirmed pairs (a fixed tenth, by hash of the source URI,
// never trained on), the queue, what changed since the previous round, and the disagreement
// queue. Written into a scratch folder and renamed at the end: a cancelled or killed round leaves
// no half round behind.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RoundParams } from '../../shared/contract';
import { ROUND_DEFAULTS } from '../../shared/curation';
import { MmeaError } from '../../shared/errors';
import type { RoundInfo } from '../../shared/types';
import { Project, isProject, readManifest } from '../data/project';
import { rowsById, settingsWithSplit } from '../features/build';
import { ensureFeatures } from '../features/store';
import { loadCheckpoint, readCheckpointOptions, restoreSnapshot, saveCheckpoint, snapshot, type Snapshot } from '../training/checkpoint';
import { initBackend } from '../runtime/tf';
import { Trainer } from '../training/trainer';
import { optionsOf } from '../../shared/models';
import type { JobContext } from '../protocol';
import { buildQueue, queueEmbeddings, queueWeights, type QueueEmbeddings } from '../curation/queue';
import { nameAnchors, projectLabels, rowNames } from '../curation/lexical';
import { currentRound, isHeldOut, listRounds, readQueue, roundDir, roundScratchPath } from '../curation/rounds';

export async function roundJob(params: RoundParams, ctx: JobContext): Promise<RoundInfo> {
  const path = resolve(params.project);
  if (!isProject(path)) throw new MmeaError('bad-input', `${path} is not a project folder`);
  const backend = await initBackend();
  ctx.progress(0, 'features', `backend ${backend}`);
  const previous = currentRound(path);
  const namesFromUris = previous ? previous.namesFromUris === true : params.namesFromUris === true;
  // the project's seed rate (a dataset without split files): the split its summary shows
  const { seedRate } = await readManifest(path);
  const settings = settingsWithSplit({ seedRate }, namesFromUris);
  const { features: f } = await ensureFeatures(path, settings);
  const project = await Project.open(path);
  const rowOf = rowsById(f.rowIds);
  const row = (side: 1 | 2, uri: string): number => {
    const id = project.idOfUri(side, uri);
    const r = id === undefined ? undefined : rowOf.get(id);
    if (r === undefined) throw new MmeaError('not-found', `no entity ${uri} in graph ${side}`);
    return r;
  };
  const n = (listRounds(path).at(-1)?.round ?? 0) + 1;
  const options = optionsOf(params.options);
  // a round warm-starts from the last one when it trains the same model; another model starts afresh
  const previousCheckpoint = previous && join(roundDir(path, previous.round), 'checkpoint');
  const warm = previousCheckpoint !== null && (await readCheckpointOptions(previousCheckpoint)).model === options.model ? previous : null;
  const trainer = new Trainer(f, options);
  let emb: QueueEmbeddings | undefined;
  try {
    if (warm) await loadCheckpoint(previousCheckpoint!, trainer);
    // every known pair (never in the queue); the validation part of the seeds is held out of
    // training: the round's live validation curve
    const seeds = [...f.split.train, ...f.split.valid];
    const valid = f.split.valid;
    const trainPairs = [...f.split.train];
    const heldOut: number[] = [];
    const audited = new Set(params.audited ?? []);
    const auditPairs: number[] = []; // audited confirmations: held out, and kept in the queue
    for (const [s, t] of params.confirmed) {
      const pair = [row(1, s), row(2, t)];
      (isHeldOut(s) || audited.has(s) ? heldOut : trainPairs).push(...pair);
      if (audited.has(s)) auditPairs.push(...pair);
    }
    trainer.train = Int32Array.from(trainPairs);
    // pseudo-labels (with --iterative) never take a held-out or audited pair, a source without
    // counterpart, nor a pair the curator rejected
    for (const r of heldOut) trainer.keepOut.rows.add(r);
    for (const s of params.none) trainer.keepOut.rows.add(row(1, s));
    for (const [s, t] of params.rejected) {
      const set = trainer.keepOut.pairs.get(row(1, s)) ?? new Set<number>();
      set.add(row(2, t));
      trainer.keepOut.pairs.set(row(1, s), set);
    }
    const epochs = params.epochs ?? (warm ? ROUND_DEFAULTS.laterEpochs : ROUND_DEFAULTS.firstEpochs);
    const first = trainer.epoch;
    const losses: number[] = [];
    const curve: NonNullable<RoundInfo['curve']> = [];
    let seconds = 0;
    // the one training loop (training/trainer.ts): the model's schedule, an evaluation every
    // check-point epochs and after the last; the round keeps the validation-selected epoch's state
    let selected: { epoch: number; state: Snapshot } | null = null;
    const result = await trainer.runEpochs(epochs, {
      onEpoch: (e) => {
        seconds += e.seconds;
        losses.push(e.loss);
        curve.push({ epoch: e.epoch, loss: e.loss });
        const done = e.epoch - first;
        const eta = ((epochs - done) * seconds) / done;
        ctx.progress((done / epochs) * 0.9, `round ${n}: epoch ${done}/${epochs}`, `loss ${e.loss.toFixed(4)}, ETA ${Math.round(eta)} s`, { epoch: e.epoch, loss: e.loss });
      },
      onEvaluation: async (ev, isSelected) => {
        if (!ev.valid) return;
        const point = curve.at(-1)!;
        Object.assign(point, { validHits1: ev.valid.mean.hits1, validMrr: ev.valid.mean.mrr });
        if (isSelected) selected = { epoch: ev.epoch, state: await snapshot(trainer) }; // the run loop awaits this hook
        const done = ev.epoch - first;
        ctx.progress((done / epochs) * 0.9, `round ${n}: epoch ${done}/${epochs}`, `validation H@1 ${(ev.valid.mean.hits1 * 100).toFixed(1)} %`, {
          epoch: ev.epoch,
          validHits1: ev.valid.mean.hits1,
          validMrr: ev.valid.mean.mrr,
        });
      },
      shouldStop: () => ctx.signal.aborted,
    });
    if (ctx.signal.aborted) throw new MmeaError('cancelled', `round ${n} cancelled at epoch ${trainer.epoch}`);
    const chosen = result.validationSelected;
    const kept = selected as { epoch: number; state: Snapshot } | null;
    if (kept && kept.epoch !== trainer.epoch) restoreSnapshot(trainer, kept.state);
    const validation: RoundInfo['valid'] = chosen?.valid ? { pairs: valid.length / 2, epoch: chosen.epoch, hits1: chosen.valid.mean.hits1, mrr: chosen.valid.mean.mrr } : null;
    ctx.progress(0.9, `round ${n}: metrics and queue`);
    // one forward for the held-out metrics and the three queues below
    emb = await queueEmbeddings(trainer);
    const metrics = heldOut.length > 0 ? await trainer.evaluatePairs(emb.joint, Int32Array.from(heldOut)) : null;
    // and on the known pairs training never saw (the dataset's test links, or what the seeded split left)
    const test = f.split.test.length > 0 ? (await trainer.evaluatePairs(emb.joint, f.split.test)).mean : null;
    // the queue: sources neither seeds, confirmed nor without counterpart; targets not aligned. The
    // audited sources stay in it whatever their verdict, as the model now ranks them: they are the
    // sample "accept above threshold" is calibrated on (engine/curation/accept.ts)
    const aligned = new Uint8Array(f.rows);
    for (const r of trainPairs) aligned[r] = 1;
    for (const r of heldOut) aligned[r] = 1;
    for (const r of valid) aligned[r] = 1;
    for (const r of auditPairs) aligned[r] = 0;
    const none = new Set(params.none.filter((s) => !audited.has(s)).map((s) => row(1, s)));
    const exclude = new Map<number, Set<number>>();
    for (const [s, t] of params.rejected) {
      if (audited.has(s)) continue;
      const set = exclude.get(row(1, s)) ?? new Set<number>();
      set.add(row(2, t));
      exclude.set(row(1, s), set);
    }
    const sources: number[] = [];
    const targets: number[] = [];
    for (let r = 0; r < f.rows1; r++) if (!aligned[r] && !none.has(r)) sources.push(r);
    for (let r = f.rows1; r < f.rows; r++) if (!aligned[r]) targets.push(r);
    // name anchors (curation/lexical.ts) put first where the names say so; only for the queue: the
    // disagreements below are the model's own word
    const anchors = nameAnchors(rowNames(projectLabels(project), f), sources, targets);
    const queue = await buildQueue(trainer, { sources: Int32Array.from(sources), targets: Int32Array.from(targets), k: params.k ?? ROUND_DEFAULTS.k, exclude, aligned, anchors }, emb);
    // disagreements: confirmed pairs whose target the model no longer ranks first for their source
    // (among the targets not aligned by seeds), and rejected pairs it now ranks first
    const confirmedSources = params.confirmed.map(([s]) => row(1, s));
    const seedTargets = new Set(seeds.filter((_, i) => i % 2 === 1));
    const unseeded: number[] = [];
    for (let r = f.rows1; r < f.rows; r++) if (!seedTargets.has(r)) unseeded.push(r);
    const doubted = await buildQueue(trainer, { sources: Int32Array.from(confirmedSources), targets: Int32Array.from(unseeded), k: 1 }, emb);
    const confirmedTarget = new Map(params.confirmed.map(([s, t]) => [project.idOfUri(1, s)!, project.idOfUri(2, t)!]));
    const disagreements: RoundInfo['disagreements'] = [];
    for (const q of doubted) {
      const want = confirmedTarget.get(q.source)!;
      const first = q.candidates[0];
      if (first && first.target !== want) disagreements.push({ kind: 'confirmed-doubted', source: q.source, target: want, modelFirst: first.target, score: first.score });
    }
    const rejectedSources = [...exclude.keys()].filter((s) => !none.has(s) && !aligned[s]);
    const firsts = await buildQueue(trainer, { sources: Int32Array.from(rejectedSources), targets: Int32Array.from(targets), k: 1 }, emb);
    for (const q of firsts) {
      const t = q.candidates[0]?.target;
      if (t !== undefined && exclude.get(rowOf.get(q.source)!)?.has(rowOf.get(t)!))
        disagreements.push({ kind: 'rejected-first', source: q.source, target: t, modelFirst: t, score: q.candidates[0]!.score });
    }
    // what changed: sources whose first candidate differs from the previous round's
    const changed: RoundInfo['changed'] = [];
    if (previous && existsSync(join(roundDir(path, previous.round), 'queue.json'))) {
      const before = new Map(readQueue(path, previous.round).map((q) => [q.source, q.candidates[0]?.target ?? null]));
      for (const q of queue) {
        const b = before.get(q.source);
        if (b !== undefined && b !== (q.candidates[0]?.target ?? null)) changed.push({ source: q.source, before: b, after: q.candidates[0]?.target ?? null });
      }
    }
    // verdicts that flipped: standing at the previous round, changed or withdrawn since
    const verdictsNow = new Map<string, string>([
      ...params.confirmed.map(([s, t]) => [`${s}\t${t}`, 'confirm'] as [string, string]),
      ...params.rejected.map(([s, t]) => [`${s}\t${t}`, 'reject'] as [string, string]),
      ...params.none.map((s) => [s, 'none'] as [string, string]),
    ]);
    const verdictFlips: NonNullable<RoundInfo['verdictFlips']> = [];
    const before = previous ? join(roundDir(path, previous.round), 'verdicts.json') : null;
    if (before && existsSync(before)) {
      for (const [key, was] of JSON.parse(readFileSync(before, 'utf8')) as [string, string][]) {
        const now = verdictsNow.get(key) ?? null;
        if (now === was) continue;
        const [s, t] = key.split('\t') as [string, string | undefined];
        const source = project.idOfUri(1, s);
        const target = t === undefined ? null : project.idOfUri(2, t);
        if (source !== undefined && target !== undefined) verdictFlips.push({ source, target, before: was, after: now });
      }
    }
    const info: RoundInfo = {
      round: n,
      warmStartFrom: warm?.round ?? null,
      model: options.model,
      createdAt: new Date().toISOString(),
      epochs,
      epoch: trainer.epoch,
      loss: losses.at(-1) ?? null,
      seeds: f.split.train.length / 2,
      valid: validation,
      confirmedTrained: (trainPairs.length - f.split.train.length) / 2,
      heldOut: heldOut.length / 2,
      metrics: metrics && { hits1: metrics.mean.hits1, hits10: metrics.mean.hits10, mrr: metrics.mean.mrr },
      test: test && { pairs: f.split.test.length / 2, hits1: test.hits1, hits10: test.hits10, mrr: test.mrr },
      curve,
      secondsPerEpoch: losses.length > 0 ? seconds / losses.length : null,
      pseudoLabels: (trainer.train.length - trainPairs.length) / 2,
      weights: queueWeights(emb),
      queue: queue.length,
      changed,
      verdictFlips,
      disagreements,
      rolledBack: false,
      namesFromUris,
    };
    const final = roundDir(path, n);
    const scratch = roundScratchPath(params, ctx.jobId);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    await saveCheckpoint(join(scratch, 'checkpoint'), trainer, { data: path, read: {}, features: settings });
    writeFileSync(join(scratch, 'seeds.tsv'), Array.from({ length: trainPairs.length / 2 }, (_, i) => `${f.rowIds[trainPairs[2 * i]!]}\t${f.rowIds[trainPairs[2 * i + 1]!]}\n`).join(''));
    writeFileSync(join(scratch, 'queue.json'), JSON.stringify(queue));
    writeFileSync(join(scratch, 'verdicts.json'), JSON.stringify([...verdictsNow]));
    writeFileSync(join(scratch, 'round.json'), JSON.stringify(info, null, 1));
    renameSync(scratch, final);
    ctx.progress(1, `round ${n} done`);
    return info;
  } finally {
    emb?.joint.dispose();
    trainer.dispose();
  }
}
