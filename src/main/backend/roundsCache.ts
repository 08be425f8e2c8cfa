// The open project's rounds and their queues as main serves them: read once (the queue of a 15k
// project is megabytes of JSON; parsing it on every request blocked main's event loop, which serves
// the windows), read asynchronously, and read again only when they change — a round ends, one is
// rolled back or restored, or another project opens (the Backend invalidates).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueItem } from '../../shared/curation';
import type { RoundInfo } from '../../shared/types';
import { listRounds, roundDir } from '../../engine/curation/rounds';

export class RoundsCache {
  private project = '';
  private rounds: RoundInfo[] = [];
  private readonly queues = new Map<number, Promise<QueueItem[]>>();

  invalidate(): void {
    this.project = '';
    this.queues.clear();
  }

  /** Every finished round of `project`, oldest first. */
  list(project: string): RoundInfo[] {
    if (this.project !== project) {
      this.queues.clear();
      this.rounds = listRounds(project);
      this.project = project;
    }
    return this.rounds;
  }

  /** The last round not rolled back, or null. */
  current(project: string): RoundInfo | null {
    return (
      this.list(project)
        .filter((r) => !r.rolledBack)
        .at(-1) ?? null
    );
  }

  /** Round n's review queue (parsed once). */
  queue(project: string, n: number): Promise<QueueItem[]> {
    this.list(project);
    let q = this.queues.get(n);
    if (!q) {
      q = readFile(join(roundDir(project, n), 'queue.json'), 'utf8').then((t) => JSON.parse(t) as QueueItem[]);
      q.catch(() => this.queues.delete(n));
      this.queues.set(n, q);
    }
    return q;
  }
}
