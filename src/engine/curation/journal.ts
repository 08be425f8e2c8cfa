// The curator's verdicts, never lost: an append-only journal in the project (verdicts.jsonl, one JSON
// object per line). A verdict is acknowledged only after its whole line is written and flushed to
// disk (fdatasync), so a killed process or a full disk loses nothing it acknowledged (a failed append
// is cut back to the last complete line and reported); the state is rebuilt by replaying the journal
// on open, line by line. A torn last line (the process died inside a write) is dropped with a warning
// and cut off the file, so the next line starts clean; a malformed line elsewhere is skipped with a
// warning naming the file and line, and the lines after it still count. One writer at a time (a lock
// file); confirmations are 1-to-1 for every writer, checked here.
//
// Entities are named by their URIs (KG1 source, KG2 target), which survive a re-import of the same
// data, unlike row numbers. Our own code: the format is ours, and what matters (flush before
// acknowledging, torn-line recovery) is a few lines around node:fs.
import { closeSync, fdatasync, fdatasyncSync, ftruncate, ftruncateSync, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { z } from 'zod';
import { brokenPairs } from '../../shared/curation';
import { MmeaError } from '../../shared/errors';
import { linesOf, takeLock } from './journalFile';
import { keyOf, VerdictEntry, VerdictInput } from '../../shared/verdicts';

export { keyOf, VERDICTS, VerdictInput, type Verdict } from '../../shared/verdicts';

export const JOURNAL_FILE = 'verdicts.jsonl';
/** held by the one process that may write the journal (journalFile.ts takeLock) */
export const LOCK_FILE = 'verdicts.lock';

export type Entry = VerdictEntry;

/** The file operations an append uses: node:fs, or a test's fault-injecting stand-in (a disk that
 *  fills up mid-line, a write that fails). The sync ones serve the CLI (`mmea verdicts`, simulate);
 *  the async ones serve the app's main process, whose event loop must not wait on the disk. */
export interface JournalIo {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fdatasyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  write(fd: number, buffer: Uint8Array, offset: number, length: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
}
const writeAsync = promisify(write);
export const FS_IO: JournalIo = {
  writeSync: (fd, b, o, l) => writeSync(fd, b, o, l),
  fdatasyncSync,
  ftruncateSync,
  write: async (fd, b, o, l) => (await writeAsync(fd, b, o, l, null)).bytesWritten,
  fdatasync: promisify(fdatasync),
  ftruncate: promisify(ftruncate),
};

/** One file operation of an append. The append's logic (Journal.durably) yields them and a driver
 *  runs them, with sync calls (runSync) or async ones (runAsync): one algorithm for both. */
type FileOp = { kind: 'write'; buffer: Uint8Array; offset: number; length: number } | { kind: 'flush' } | { kind: 'truncate'; length: number };
type Steps = Generator<FileOp, void, number>;

function runSync(steps: Steps, fd: number, io: JournalIo): void {
  for (let next = steps.next(0); !next.done;) {
    const op = next.value;
    let result = 0;
    try {
      if (op.kind === 'write') result = io.writeSync(fd, op.buffer, op.offset, op.length);
      else if (op.kind === 'flush') io.fdatasyncSync(fd);
      else io.ftruncateSync(fd, op.length);
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(result);
  }
}

async function runAsync(steps: Steps, fd: number, io: JournalIo): Promise<void> {
  for (let next = steps.next(0); !next.done;) {
    const op = next.value;
    let result = 0;
    try {
      if (op.kind === 'write') result = await io.write(fd, op.buffer, op.offset, op.length);
      else if (op.kind === 'flush') await io.fdatasync(fd);
      else await io.ftruncate(fd, op.length);
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(result);
  }
}

export interface OpenedJournal {
  journal: Journal;
  /** what was dropped or skipped while reading, each naming file and line */
  warnings: string[];
}

/** Why a verdict's entities are not in the project (source in KG1, target in KG2), or null: what
 *  every writer checks before appending (the journal itself does not know the graphs). */
export function unknownEntity(project: { hasUri(side: 1 | 2, uri: string): boolean }, source: string, target: string | null): string | null {
  if (!project.hasUri(1, source)) return `no KG1 entity ${JSON.stringify(source)}`;
  if (target !== null && !project.hasUri(2, target)) return `no KG2 entity ${JSON.stringify(target)}`;
  return null;
}

export class Journal {
  private readonly entries: Entry[] = [];
  private readonly current = new Map<string, Entry>();
  /** the standing confirmations both ways (URIs): the 1-to-1 rule is checked here, where every
   *  writer (the app's contract, `mmea verdicts`, acceptance, simulate) has to pass */
  private readonly bySource = new Map<string, string>();
  private readonly byTarget = new Map<string, string>();
  private fd: number | null;
  /** bytes of complete lines in the file: where a failed append cuts it back to */
  private size: number;
  /** the highest sequence number seen: new lines go on from it, even in a hand-edited file */
  private maxSeq = 0;
  /** the async appends queued or running, and the promise the next one waits for */
  private inFlight = 0;
  private pending: Promise<unknown> = Promise.resolve();
  private closing = false;

  private constructor(
    readonly path: string,
    fd: number | null,
    size: number,
    private readonly io: JournalIo,
    private readonly release: () => void,
  ) {
    this.fd = fd;
    this.size = size;
  }

  /** Opens (creating if needed) the journal of the project in `dir` for writing and replays it.
   *  One writer at a time: a journal another process has open is refused (code 'conflict'). */
  static open(dir: string, io: JournalIo = FS_IO): OpenedJournal {
    const path = join(dir, JOURNAL_FILE);
    const release = takeLock(join(dir, LOCK_FILE), `${path}`);
    try {
      const fd = openSync(path, 'a+');
      const journal = new Journal(path, fd, 0, io, release);
      const { warnings, end, size } = journal.replay();
      if (end < size) {
        ftruncateSync(fd, end); // the torn tail goes, so the next line starts clean
        fdatasyncSync(fd);
      }
      journal.size = end;
      return { journal, warnings };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** The journal as it stands, for a reader (exports): no lock, no repair, no appends. */
  static read(dir: string): OpenedJournal {
    const journal = new Journal(join(dir, JOURNAL_FILE), null, 0, FS_IO, () => {});
    return { journal, warnings: journal.replay().warnings };
  }

  /** Replays the file line by line (bounded memory); a torn tail is reported, not read. */
  private replay(): { warnings: string[]; end: number; size: number } {
    const warnings: string[] = [];
    const lines = linesOf(this.path);
    let lastLine = 0;
    for (let r = lines.next(); ; r = lines.next()) {
      if (r.done) {
        const { end, size } = r.value;
        if (end < size) warnings.push(`${this.path}:${lastLine + 1}: torn last line dropped (${size - end} bytes without a line end: the writer stopped inside a write)`);
        return { warnings, end, size };
      }
      const { line, lineNo } = r.value;
      lastLine = lineNo;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (e) {
        warnings.push(`${this.path}:${lineNo}: not JSON (${(e as Error).message}); line skipped`);
        continue;
      }
      const v = VerdictEntry.safeParse(parsed);
      if (!v.success) {
        warnings.push(`${this.path}:${lineNo}: ${v.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ')}; line skipped`);
        continue;
      }
      this.apply(v.data);
    }
  }

  private apply(e: Entry): void {
    this.entries.push(e);
    this.maxSeq = Math.max(this.maxSeq, e.seq);
    const key = keyOf(e.source, e.target);
    unconfirm(this.bySource, this.byTarget, e.source, e.target);
    if (e.op === 'clear') this.current.delete(key);
    else this.current.set(key, e);
    if (e.op === 'set' && e.verdict === 'confirm' && e.target !== null) {
      this.bySource.set(e.source, e.target);
      this.byTarget.set(e.target, e.source);
    }
  }

  /** Appends a verdict; returns it once its line is on disk (written and flushed). Throws on a
   *  malformed input or a confirm that breaks 1-to-1 without `replace` (nothing written), or on a
   *  failed write. With `replace`, the clears it writes come first; the confirm is returned. */
  append(input: VerdictInput, now = new Date()): Entry {
    return this.appendAll([input], now).at(-1)!;
  }

  /** append, with the disk work off the event loop (the app's main process). */
  async appendAsync(input: VerdictInput, now = new Date()): Promise<Entry> {
    return (await this.appendAllAsync([input], now)).at(-1)!;
  }

  /** The standing confirmations a confirm of (source, target) would break under 1-to-1. */
  conflicts(source: string, target: string): [string, string][] {
    return brokenPairs(source, target, this.bySource, this.byTarget);
  }

  /** Appends many verdicts with one flush at the end (a bulk acceptance of thousands of pairs): all
   *  are validated first (nothing written if one is malformed or breaks 1-to-1 against what stands
   *  or what the batch confirms before it); a kill meanwhile leaves a prefix, none of which was
   *  acknowledged. */
  appendAll(inputs: VerdictInput[], now = new Date()): Entry[] {
    if (this.inFlight > 0) throw new Error(`${this.path}: a sync append while async appends are pending would reorder them`);
    const entries = this.prepare(inputs, now);
    runSync(this.durably(entries), this.fd!, this.io);
    for (const e of entries) this.apply(e);
    return entries;
  }

  /** appendAll with async file operations. Appends run one at a time in call order (each is
   *  validated against the verdicts before it), so concurrent requests never interleave lines or
   *  share a sequence number. */
  appendAllAsync(inputs: VerdictInput[], now = new Date()): Promise<Entry[]> {
    this.inFlight++;
    const run = this.pending.then(async () => {
      try {
        const entries = this.prepare(inputs, now);
        await runAsync(this.durably(entries), this.fd!, this.io);
        for (const e of entries) this.apply(e);
        return entries;
      } finally {
        this.inFlight--;
      }
    });
    this.pending = run.catch(() => undefined);
    return run;
  }

  /** The entries `inputs` become, validated against what stands; throws before anything is written. */
  private prepare(inputs: VerdictInput[], now: Date): Entry[] {
    if (this.fd === null) throw new Error(`${this.path}: journal is closed (or opened read-only)`);
    const vs = withReplacements(
      inputs.map((i) => VerdictInput.parse(i)),
      new Map(this.bySource),
      new Map(this.byTarget),
    );
    return vs.map((v, k): Entry => ({ seq: this.lastSeq() + 1 + k, at: now.toISOString(), ...v }));
  }

  /**
   * The file operations that put `entries` on disk whole: each line written (a write may take only
   * part of it on a full disk: the rest is written on), then one flush. On any failure the file is
   * cut back to its last complete line, so nothing of the batch is acknowledged and the next append
   * starts clean, and the error (code 'io') goes to the caller. One write per line, so a kill leaves
   * at most the last line torn.
   */
  private *durably(entries: Entry[]): Steps {
    const before = this.size;
    try {
      let written = 0;
      for (const e of entries) {
        const line = Buffer.from(JSON.stringify(e) + '\n');
        for (let offset = 0; offset < line.length;) {
          const n = yield { kind: 'write', buffer: line, offset, length: line.length - offset };
          if (!(n > 0)) throw Object.assign(new Error('the write took no bytes'), { code: 'EIO' });
          offset += n;
        }
        written += line.length;
      }
      yield { kind: 'flush' };
      this.size = before + written;
    } catch (e) {
      let cut = true;
      try {
        yield { kind: 'truncate', length: before };
        yield { kind: 'flush' };
      } catch {
        cut = false; // reopening drops the torn tail (Journal.open)
      }
      const err = e as NodeJS.ErrnoException;
      throw new MmeaError(
        'io',
        `${this.path}: the verdict could not be written (${err.code ?? 'error'}: ${err.message}); nothing was recorded${cut ? '' : ', and the partial line could not be cut off: it will be on the next open'}`,
      );
    }
  }

  /** The highest sequence number in the journal (new lines continue from it). */
  lastSeq(): number {
    return this.maxSeq;
  }

  /** Every line replayed or appended, in order. */
  history(): readonly Entry[] {
    return this.entries;
  }

  /** The verdict standing on each key (the last set not cleared since). */
  state(): ReadonlyMap<string, Entry> {
    return this.current;
  }

  /** The confirmed pairs, as [source, target] URIs. */
  confirmed(): [string, string][] {
    return [...this.current.values()].filter((e) => e.verdict === 'confirm' && e.target !== null).map((e) => [e.source, e.target!]);
  }

  /** Closes the file and frees the lock; pending async appends finish first (a later append is refused). */
  close(): void {
    const fd = this.fd;
    if (fd === null || this.closing) return; // a second close while appends drain: once is enough
    this.closing = true;
    const done = () => (closeSync(fd), this.release());
    if (this.inFlight === 0) {
      this.fd = null;
      done();
      return;
    }
    // the appends queued before still write to fd; one queued after runs after this and is refused
    this.pending = this.pending.then(() => {
      this.fd = null;
      done();
    });
  }
}

type Parsed = z.output<typeof VerdictInput>;

/** Forgets the confirmation on (source, target), if that is what stands. */
function unconfirm(bySource: Map<string, string>, byTarget: Map<string, string>, source: string, target: string | null): void {
  if (target === null || bySource.get(source) !== target) return;
  bySource.delete(source);
  if (byTarget.get(target) === source) byTarget.delete(target);
}

/**
 * The lines to write for `vs`, in order: a confirm that breaks 1-to-1 is refused (an error naming
 * the standing pair), or, with `replace`, preceded by the clears that withdraw the pairs it breaks.
 * `bySource` / `byTarget` are the standing confirmations, updated as the batch goes (copies).
 */
function withReplacements(vs: Parsed[], bySource: Map<string, string>, byTarget: Map<string, string>): Omit<Parsed, 'replace'>[] {
  const out: Omit<Parsed, 'replace'>[] = [];
  for (const { replace, ...v } of vs) {
    if (v.op === 'set' && v.verdict === 'confirm' && v.target !== null) {
      const broken = brokenPairs(v.source, v.target, bySource, byTarget);
      if (broken.length && !replace) {
        const standing = broken.map(([s, t]) => `${s} → ${t}`).join(' and ');
        throw new MmeaError('conflict', `not confirmed: ${v.source} → ${v.target} breaks 1-to-1 with the standing confirmation ${standing}; withdraw it first, or confirm with replace`, {
          standing: broken,
        });
      }
      for (const [s, t] of broken) {
        out.push({ op: 'clear', source: s, target: t, curator: v.curator, round: v.round, score: null, justification: 'manual', note: `replaced by ${v.source} → ${v.target}` });
        unconfirm(bySource, byTarget, s, t);
      }
    }
    unconfirm(bySource, byTarget, v.source, v.target);
    if (v.op === 'set' && v.verdict === 'confirm' && v.target !== null) {
      bySource.set(v.source, v.target);
      byTarget.set(v.target, v.source);
    }
    out.push(v);
  }
  return out;
}
