// The rounds of a project's curation (written by engine/jobs/round.ts), read and rolled back by
// main without loading any model code: <project>/rounds/NNNN/{round.json, queue.json, seeds.tsv,
// checkpoint/}, and a ROLLED_BACK marker in a rolled-back round's folder.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RoundParams } from '../../shared/contract';
import type { QueueItem } from '../../shared/curation';
import { MmeaError } from '../../shared/errors';
import type { RoundInfo } from '../../shared/types';

export const ROUNDS_DIR = 'rounds';

/** A confirmed pair is held out of training when its source URI hashes to 0 mod 10 (stable over rounds). */
export const isHeldOut = (sourceUri: string) => createHash('sha1').update(sourceUri).digest()[0]! % 10 === 0;

/** Where a round job writes before it commits; main removes it if the engine process dies. */
export function roundScratchPath(params: RoundParams, jobId: string): string {
  return join(resolve(params.project), ROUNDS_DIR, `.partial-${jobId}`);
}

/** Removes what killed rounds left (rounds/.partial-<job>); only while no round job runs. */
export function sweepRoundScratch(project: string): void {
  const dir = join(project, ROUNDS_DIR);
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) if (n.startsWith('.partial-')) rmSync(join(dir, n), { recursive: true, force: true });
}

export function roundDir(project: string, n: number): string {
  return join(project, ROUNDS_DIR, String(n).padStart(4, '0'));
}

/** Every finished round of a project, oldest first. */
export function listRounds(project: string): RoundInfo[] {
  const dir = join(project, ROUNDS_DIR);
  if (!existsSync(dir)) return [];
  const out: RoundInfo[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/^\d{4}$/.test(name)) continue;
    const file = join(dir, name, 'round.json');
    if (!existsSync(file)) continue;
    const info = JSON.parse(readFileSync(file, 'utf8')) as RoundInfo;
    info.rolledBack = existsSync(join(dir, name, 'ROLLED_BACK'));
    out.push(info);
  }
  return out;
}

/** The last round not rolled back, or null. */
export function currentRound(project: string): RoundInfo | null {
  return (
    listRounds(project)
      .filter((r) => !r.rolledBack)
      .pop() ?? null
  );
}

export function readQueue(project: string, n: number): QueueItem[] {
  return JSON.parse(readFileSync(join(roundDir(project, n), 'queue.json'), 'utf8')) as QueueItem[];
}

/** Marks a round rolled back (its folder stays, for the record); the next round warm-starts from
 *  the last round before it that is not rolled back. */
export function rollBack(project: string, n: number): void {
  const dir = roundDir(project, n);
  if (!existsSync(join(dir, 'round.json'))) throw new MmeaError('not-found', `no round ${n}`);
  const current = currentRound(project);
  if (current?.round !== n) throw new MmeaError('bad-input', `only the current round (${current?.round ?? 'none'}) can be rolled back, not ${n}`);
  writeFileSync(join(dir, 'ROLLED_BACK'), new Date().toISOString() + '\n');
}

/** Undoes the rollback of round n: allowed while it is the last round and no round after the
 *  current one exists (a round trained since started from the one before n). */
export function restoreRound(project: string, n: number): void {
  const dir = roundDir(project, n);
  const rounds = listRounds(project);
  const r = rounds.find((x) => x.round === n);
  if (!r) throw new MmeaError('not-found', `no round ${n}`);
  if (!r.rolledBack) throw new MmeaError('bad-input', `round ${n} is not rolled back`);
  if (rounds.at(-1)!.round !== n) throw new MmeaError('conflict', `round ${n} cannot be restored: round ${rounds.at(-1)!.round} was trained after it`);
  rmSync(join(dir, 'ROLLED_BACK'), { force: true });
}
