// Curation rounds (engine/jobs/round.ts, curation/rounds.ts) on the demo project: a first round
// trains from scratch (its validation seeds held out and measured on) and writes its seed set,
// checkpoint, queue and metrics; the next warm-starts
// from it (the epochs go on, the confirmed pairs join the seeds but for the held-out tenth); a
// cancelled round leaves nothing behind; only the current round can be rolled back, and the next
// round then warm-starts from the one before it; names from URIs are chosen by the first round.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRound, isHeldOut, listRounds, readQueue, rollBack, roundDir } from '../../src/engine/curation/rounds';
import { Project } from '../../src/engine/data/project';
import { labelFromUri } from '../../src/engine/data/kg';
import { baseKey, nameKey } from '../../src/engine/curation/lexical';
import { importJob } from '../../src/engine/jobs/import';
import { roundJob } from '../../src/engine/jobs/round';
import type { RoundParams } from '../../src/shared/contract';
import { Backend } from '../../src/main/backend';
import { DEMO_DATASET, ROOT, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
const project = join(tmp.path, 'demo');
const ctx = (signal = new AbortController().signal) => ({ jobId: `t${Math.random().toString(36).slice(2)}`, signal, progress: () => {} });

describe('curation rounds', () => {
  let names: Project;
  beforeAll(async () => {
    await importJob({ source: DEMO_DATASET, project }, ctx());
    names = await Project.open(project);
  }, 120_000);

  const params = (extra: Partial<RoundParams>): RoundParams => ({ project, epochs: 5, k: 4, confirmed: [], rejected: [], none: [], ...extra });

  it('trains a first round, then a warm-started one with the confirmed pairs', async () => {
    const points: Record<string, number>[] = [];
    const first = await roundJob(params({}), { ...ctx(), progress: (_f: number, _s: string, _d?: string, data?: Record<string, number>) => void (data && points.push(data)) });
    // the live chart's data: the loss every epoch, validation H@1 and MRR at each evaluation (every
    // check-point epochs and after the last: here, after epoch 5) as a second point of that epoch
    expect(points.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(points.slice(0, 5).every((p) => p.loss! > 0 && p.validHits1 === undefined)).toBe(true);
    expect(points[5]!.validHits1).toBeGreaterThanOrEqual(0);
    expect(points[5]!.validMrr).toBeGreaterThan(0);
    expect(first).toMatchObject({ round: 1, warmStartFrom: null, epoch: 5, confirmedTrained: 0, heldOut: 0, metrics: null });
    expect(first.queue).toBe(280); // every non-seed graph-1 entity
    // the validation tenth of the 60 seeds is held out of training, and measured on as it trains
    expect(first.seeds).toBe(54);
    expect(first.valid).toMatchObject({ pairs: 6, epoch: 5 });
    expect(first.valid!.hits1).toBeGreaterThanOrEqual(0);
    expect(first.valid!.mrr).toBeLessThanOrEqual(1);
    const queue = readQueue(project, 1);
    expect(queue[0]!.candidates).toHaveLength(4);
    // each modality's share of a pair's joint cosine: they add up to it, for every candidate
    for (const c of queue.flatMap((q) => q.candidates)) {
      const parts = Object.values(c.contributions!);
      expect(parts).toHaveLength(Object.keys(c.modalities).length);
      expect(Math.abs(parts.reduce((a, b) => a + b, 0) - c.cosine)).toBeLessThan(1e-3);
    }
    expect(
      readFileSync(join(roundDir(project, 1), 'seeds.tsv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(54);
    // confirm 30 of the queue's first candidates, reject one, and say one source has no counterpart
    const uri = (id: number) => names.nameOf(id).uri;
    const confirmed = queue.slice(0, 30).map((q) => [uri(q.source), uri(q.candidates[0]!.target)] as [string, string]);
    const rejected: [string, string][] = [[uri(queue[30]!.source), uri(queue[30]!.candidates[0]!.target)]];
    const none = [uri(queue[31]!.source)];
    // three of them given in audit order: held out of training too (calibration samples)
    const audited = confirmed.slice(0, 3).map(([s]) => s);
    const second = await roundJob(params({ confirmed, rejected, none, audited }), ctx());
    const held = confirmed.filter(([s]) => isHeldOut(s) || audited.includes(s)).length;
    expect(held).toBeGreaterThanOrEqual(3);
    expect(second).toMatchObject({ round: 2, warmStartFrom: 1, epoch: 10, confirmedTrained: 30 - held, heldOut: held });
    expect(second.queue).toBe(280 - 30 - 1 + 3); // the audited confirmations stay in it (calibration)
    expect(held === 0 ? second.metrics === null : second.metrics!.hits1 >= 0).toBe(true);
    const q2 = readQueue(project, 2);
    const rejectedItem = q2.find((q) => q.source === queue[30]!.source)!;
    expect(rejectedItem.candidates.map((c) => c.target)).not.toContain(queue[30]!.candidates[0]!.target); // never proposed again
    expect(q2.some((q) => q.source === queue[31]!.source)).toBe(false);
    for (const q of queue.slice(0, 3)) expect(q2.some((x) => x.source === q.source)).toBe(true);
    expect(
      readFileSync(join(roundDir(project, 2), 'seeds.tsv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(54 + 30 - held);
    expect(second.changed.every((c) => c.before !== c.after)).toBe(true);
  }, 300_000);

  it('a cancelled round leaves no folder behind', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(roundJob(params({}), ctx(abort.signal))).rejects.toThrow(/cancelled/);
    expect(readdirSync(join(project, 'rounds')).sort()).toEqual(['0001', '0002']);
  }, 120_000);

  it('rolls back only the current round; the next warm-starts from the one before', async () => {
    expect(() => rollBack(project, 1)).toThrow(/only the current round \(2\)/);
    rollBack(project, 2);
    expect(currentRound(project)?.round).toBe(1);
    expect(listRounds(project).map((r) => [r.round, r.rolledBack])).toEqual([
      [1, false],
      [2, true],
    ]);
    const third = await roundJob(params({}), ctx());
    expect(third).toMatchObject({ round: 3, warmStartFrom: 1, epoch: 10 });
    expect(existsSync(join(roundDir(project, 3), 'checkpoint', 'manifest.json'))).toBe(true);
  }, 300_000);

  it('trains with the chosen options through the one loop and keeps the validation-selected epoch', async () => {
    const other = join(tmp.path, 'demo-selected');
    await importJob({ source: DEMO_DATASET, project: other }, ctx());
    // a learning rate high enough that validation MRR does not only rise: the selected epoch is
    // then seldom the last, and the round must keep that epoch's state, not the last one's
    const info = await roundJob({ ...params({}), project: other, epochs: 40, options: { model: 'humea', checkPoint: 5, lr: 0.05 } }, ctx());
    const evaluated = info.curve!.filter((p) => p.validMrr !== undefined);
    expect(evaluated.map((p) => p.epoch)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    const best = evaluated.reduce((a, b) => (b.validMrr! > a.validMrr! ? b : a));
    expect(info.valid!.epoch).toBe(best.epoch);
    expect(best.epoch).toBeLessThan(40); // so the restore is exercised (epoch 15 here)
    expect(info.epoch).toBe(best.epoch); // the round stands at the selected epoch
    const manifest = JSON.parse(readFileSync(join(roundDir(other, 1), 'checkpoint', 'manifest.json'), 'utf8')) as { epoch: number; options: { lr: number; checkPoint: number } };
    expect(manifest).toMatchObject({ epoch: best.epoch, options: { lr: 0.05, checkPoint: 5 } });
  }, 300_000);

  it('a LoginMEA round’s queue carries each pair’s own modality weights, and no cosine shares', async () => {
    const other = join(tmp.path, 'demo-loginmea');
    await importJob({ source: DEMO_DATASET, project: other }, ctx());
    const info = await roundJob({ ...params({}), project: other, epochs: 3, options: { model: 'loginmea', hidden: 16 } }, ctx());
    expect(info).toMatchObject({ round: 1, epoch: 3 });
    const candidates = readQueue(other, 1).flatMap((q) => q.candidates);
    expect(candidates.length).toBeGreaterThan(0);
    const sourceWeights = new Set<string>();
    for (const c of candidates) {
      // its final embedding is no weighted concatenation: no modality's share of the cosine to show
      expect(c.contributions).toBeUndefined();
      // the fusion's attention over the feature modalities (not the structure), each entity's own
      const w = c.entityWeights!;
      for (const side of [w.source, w.target]) {
        expect(Object.keys(side).sort()).toEqual(['att', 'rel']);
        expect(Math.abs(side.att! + side.rel! - 1)).toBeLessThan(2e-4);
      }
      sourceWeights.add(JSON.stringify(w.source));
    }
    expect(sourceWeights.size).toBeGreaterThan(1); // per entity, not one global weight
  }, 300_000);

  it('a MEAformer round’s queue carries each pair’s own weights, and cosine shares computed with them', async () => {
    const other = join(tmp.path, 'demo-meaformer');
    await importJob({ source: DEMO_DATASET, project: other }, ctx());
    const info = await roundJob({ ...params({}), project: other, epochs: 3, options: { model: 'meaformer', hidden: 16, batchSize: 64 } }, ctx());
    expect(info).toMatchObject({ round: 1, epoch: 3 });
    const candidates = readQueue(other, 1).flatMap((q) => q.candidates);
    expect(candidates.length).toBeGreaterThan(0);
    const sourceWeights = new Set<string>();
    for (const c of candidates) {
      // the token attention's weights over every modality, each entity's own, summing to 1
      const w = c.entityWeights!;
      for (const side of [w.source, w.target]) {
        expect(Object.keys(side).sort()).toEqual(Object.keys(c.modalities).sort());
        expect(Math.abs(Object.values(side).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(3e-4);
      }
      sourceWeights.add(JSON.stringify(w.source));
      // the joint concatenates w_{i,m} · n(e_m): each modality's share, with both entities' own
      // weights, adds up to the pair's joint cosine
      const parts = Object.values(c.contributions!);
      expect(parts).toHaveLength(Object.keys(c.modalities).length);
      expect(Math.abs(parts.reduce((a, b) => a + b, 0) - c.cosine)).toBeLessThan(1e-3);
    }
    expect(sourceWeights.size).toBeGreaterThan(1);
  }, 300_000);

  it('names from URIs: the first round chooses, later rounds keep it; verdicts that flipped are listed', async () => {
    const other = join(tmp.path, 'demo-names');
    await importJob({ source: DEMO_DATASET, project: other }, ctx());
    // the name similarity of every candidate pair (absent or null: no name on one side)
    const names = (p: string, round: number) => readQueue(p, round).flatMap((q) => q.candidates.map((c) => c.modalities.name ?? null));
    // without: DB15K's entities have no name in the data, so no pair has a name similarity
    expect(names(project, 1).filter((x) => x !== null)).toEqual([]);
    expect(readQueue(project, 1).some((q) => q.candidates.some((c) => c.sameName))).toBe(false); // nor a name anchor
    const first = await roundJob({ ...params({}), project: other, namesFromUris: true }, ctx());
    expect(first.namesFromUris).toBe(true);
    const got = names(other, 1);
    expect(got.filter((x) => x !== null).length).toBeGreaterThan(got.length * 0.9);
    const q1 = readQueue(other, 1);
    const otherProject = await Project.open(other);
    // name anchors: first among their source's candidates, whatever the 5-epoch model ranks first, and
    // the two names agree (whole, or but for a trailing parenthetical); a target anchors one source
    const label = (id: number) => labelFromUri(otherProject.nameOf(id).label);
    const anchored = q1.filter((q) => q.candidates.some((c) => c.sameName));
    expect(anchored.length).toBeGreaterThan(q1.length / 2);
    for (const q of anchored) {
      expect(q.candidates.findIndex((c) => c.sameName)).toBe(0);
      const [a, b] = [nameKey(label(q.source)), nameKey(label(q.candidates[0]!.target))];
      expect(q.candidates[0]!.sameName === 'exact' ? a === b : a !== b && baseKey(a) === baseKey(b)).toBe(true);
    }
    expect(new Set(anchored.map((q) => q.candidates[0]!.target)).size).toBe(anchored.length);
    expect(anchored.some((q) => q.candidates.length === 4 && q.candidates[1]!.score > q.candidates[0]!.score)).toBe(true); // put first over a better score
    const u = (id: number) => otherProject.nameOf(id).uri;
    const pair: [string, string] = [u(q1[0]!.source), u(q1[0]!.candidates[0]!.target)];
    const second = await roundJob({ ...params({ confirmed: [pair], none: [u(q1[1]!.source)] }), project: other, namesFromUris: false }, ctx());
    expect(second).toMatchObject({ warmStartFrom: 1, namesFromUris: true, verdictFlips: [] });
    expect(names(other, 2).some((x) => x !== null)).toBe(true);
    // what changed lists the verdicts that flipped since the last round: a confirmation turned into a
    // rejection, a "no counterpart" withdrawn
    const third = await roundJob({ ...params({ rejected: [pair] }), project: other }, ctx());
    expect(third.verdictFlips!.sort((a, b) => a.source - b.source)).toEqual(
      [
        { source: q1[0]!.source, target: q1[0]!.candidates[0]!.target, before: 'confirm', after: 'reject' },
        { source: q1[1]!.source, target: null, before: 'none', after: null },
      ].sort((a, b) => a.source - b.source),
    );
  }, 300_000);
});

describe('the backend serves rounds and queues from a cache', () => {
  const dir = join(tmp.path, 'cached');
  it('parses a queue once, and again only when the rounds change (rollback, restore)', async () => {
    await importJob({ source: DEMO_DATASET, project: dir }, ctx());
    await roundJob({ project: dir, epochs: 2, k: 3, confirmed: [], rejected: [], none: [] }, ctx());
    await roundJob({ project: dir, epochs: 2, k: 3, confirmed: [], rejected: [], none: [] }, ctx());
    const backend = new Backend({
      home: join(tmp.path, 'home'),
      resources: join(ROOT, 'resources'),
      spawnEngine: () => {
        throw new Error('no engine here');
      },
      mode: 'browser',
      version: '0',
    });
    try {
      await backend.open(dir);
      const queue = async () => ((await backend.dispatch('curation:queue', {})) as { result: { round: { round: number }; items: unknown[] } }).result;
      const first = await queue();
      expect(first.round.round).toBe(2);
      expect(first.items.length).toBeGreaterThan(0);
      // the file changes under it: the cached parse serves (no re-read per request)
      writeFileSync(join(roundDir(dir, 2), 'queue.json'), '[]');
      expect((await queue()).items).toHaveLength(first.items.length);
      // a rollback changes the rounds: round 1's queue is read
      expect(await backend.dispatch('curation:rollback', { round: 2 })).toMatchObject({ ok: true });
      expect((await queue()).round.round).toBe(1);
      // restored, round 2 is read again, as the file now says
      expect(await backend.dispatch('curation:restore', { round: 2 })).toMatchObject({ ok: true });
      const again = await queue();
      expect(again.round.round).toBe(2);
      expect(again.items).toEqual([]);
    } finally {
      await backend.dispose();
    }
  }, 120_000);
});
