// The verdict journal under faults that are not a kill (issue 16): a disk that fills up in the middle
// of a line, a write or flush that fails. A verdict is acknowledged only when its whole line is on
// disk; a failed append is an error to the caller (code 'io') that leaves the file at its last
// complete line, so reopening drops nothing acknowledged and later appends start clean. Tested with
// a file-system seam (every case, everywhere) and with a real tiny tmpfs where the machine lets us
// mount one (root, as on CI); each through both appends, the CLI's sync one and the app's async one.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fdatasyncSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FS_IO, Journal, JOURNAL_FILE, type Entry, type JournalIo, type VerdictInput } from '../../src/engine/curation/journal';
import { skipWithout, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const fresh = () => {
  const dir = join(tmp.path, `f${n++}`);
  mkdirSync(dir);
  return dir;
};
const verdict = (i: number) => ({ source: `s${i}`, verdict: 'none' as const, note: `verdict ${i}` });
const lines = (dir: string) => readFileSync(join(dir, JOURNAL_FILE), 'utf8');

/** node:fs, but the disk "fills up" after `room` more bytes: a write takes what fits, then ENOSPC. */
function fillingDisk(room: number): JournalIo & { free(bytes: number): void } {
  let left = room;
  const take = (l: number) => {
    if (left <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const k = Math.min(l, left);
    left -= k;
    return k;
  };
  return {
    ...FS_IO,
    writeSync: (fd, b, o, l) => writeSync(fd, b, o, take(l)),
    write: async (fd, b, o, l) => FS_IO.write(fd, b, o, take(l)),
    free(bytes) {
      left += bytes;
    },
  };
}

const MODES = ['sync', 'async'] as const;
/** The append of `mode`: the CLI's (sync) or the app's (async); both awaited alike. */
const appender = (journal: Journal, mode: (typeof MODES)[number]) => ({
  one: async (v: VerdictInput): Promise<Entry> => (mode === 'sync' ? journal.append(v) : journal.appendAsync(v)),
  all: async (vs: VerdictInput[]): Promise<Entry[]> => (mode === 'sync' ? journal.appendAll(vs) : journal.appendAllAsync(vs)),
});

describe('verdict journal under write faults', () => {
  it.each(MODES)('never acknowledges a line the full disk cut short; cuts it off; appends cleanly once space frees (%s)', async (mode) => {
    const dir = fresh();
    const io = fillingDisk(400);
    const { journal } = Journal.open(dir, io);
    const append = appender(journal, mode);
    const acked: number[] = [];
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      try {
        acked.push((await append.one(verdict(i))).seq);
      } catch (e) {
        refused++;
        expect(e).toMatchObject({ code: 'io' });
        expect((e as Error).message).toMatch(/ENOSPC.*nothing was recorded/);
      }
    }
    expect(acked.length).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // the file holds exactly the acknowledged lines, each whole
    expect(lines(dir).endsWith('\n')).toBe(true);
    expect(
      lines(dir)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual(acked);
    // space frees: the next verdict lands whole after them (not glued onto a fragment)
    io.free(10_000);
    const next = await append.one(verdict(99));
    expect(next.seq).toBe(acked.at(-1)! + 1);
    journal.close();
    const again = Journal.open(dir);
    expect(again.warnings).toEqual([]);
    expect(again.journal.history().map((e) => e.seq)).toEqual([...acked, next.seq]);
    again.journal.close();
  });

  it.each(MODES)('refuses a whole batch when a write fails midway, and when the flush fails (%s)', async (mode) => {
    for (const failing of ['write', 'flush'] as const) {
      const dir = fresh();
      let armed = false;
      let writes = 0;
      const eio = () => Object.assign(new Error('input/output error'), { code: 'EIO' });
      const writeFails = () => armed && failing === 'write' && ++writes === 3;
      const flushFails = () => armed && failing === 'flush';
      const io: JournalIo = {
        ...FS_IO,
        writeSync: (fd, b, o, l) => {
          if (writeFails()) throw eio();
          return writeSync(fd, b, o, l);
        },
        write: async (fd, b, o, l) => {
          if (writeFails()) throw eio();
          return FS_IO.write(fd, b, o, l);
        },
        fdatasyncSync: (fd) => {
          if (flushFails()) throw eio();
          fdatasyncSync(fd);
        },
        fdatasync: async (fd) => {
          if (flushFails()) throw eio();
          return FS_IO.fdatasync(fd);
        },
      };
      const { journal } = Journal.open(dir, io);
      const append = appender(journal, mode);
      await append.one(verdict(0));
      const before = lines(dir);
      armed = true;
      await expect(append.all([verdict(1), verdict(2), verdict(3), verdict(4)])).rejects.toThrow(/EIO/);
      expect(lines(dir), failing).toBe(before);
      expect(journal.history()).toHaveLength(1); // nothing of the batch is standing either
      armed = false;
      expect((await append.one(verdict(5))).seq).toBe(2);
      journal.close();
    }
  });
});

describe("the app's async append", () => {
  it('does no synchronous disk work', async () => {
    const sync = () => {
      throw new Error('synchronous disk work on the event loop');
    };
    const { journal } = Journal.open(fresh(), { ...FS_IO, writeSync: sync, fdatasyncSync: sync, ftruncateSync: sync });
    expect((await journal.appendAllAsync([verdict(0), verdict(1)])).map((e) => e.seq)).toEqual([1, 2]);
    expect(() => journal.append(verdict(2))).toThrow(/synchronous disk work/);
    journal.close();
  });

  it('runs concurrent appends one at a time, in call order, each checked against the ones before', async () => {
    const dir = fresh();
    const { journal } = Journal.open(dir);
    const confirm = (s: string, t: string) => ({ source: s, target: t, verdict: 'confirm' as const });
    const calls = [journal.appendAsync(confirm('a', 'x')), journal.appendAsync(confirm('b', 'x')), ...Array.from({ length: 20 }, (_, i) => journal.appendAsync(verdict(i)))];
    // a sync append now would jump the queue: refused
    expect(() => journal.append(verdict(99))).toThrow(/pending/);
    const settled = await Promise.allSettled(calls);
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { code: 'conflict' } }); // b → x after a → x
    const seqs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []));
    expect(seqs).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    // closing waits for queued appends; one asked for after the close is refused
    const last = journal.appendAsync(verdict(50));
    journal.close();
    journal.close(); // twice while the append drains: closed once, no error
    const late = journal.appendAsync(verdict(51));
    expect((await last).seq).toBe(22);
    await expect(late).rejects.toThrow(/closed/);
    expect(
      lines(dir)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
  });
});

/** Mounts a tmpfs of `kib` KiB at a fresh folder; null where this machine does not let us. */
function tinyDisk(kib: number): { dir: string; unmount(): void } | null {
  const dir = join(tmp.path, `tmpfs-${n++}`);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { dir, unmount: () => execFileSync('umount', [dir], { stdio: 'ignore' }) };
}
const disk = process.getuid?.() === 0 ? tinyDisk(64) : null;
afterAll(() => disk?.unmount());

describe.skipIf(skipWithout('a mountable 64 KiB tmpfs (root)', disk !== null))('verdict journal on a real full disk (a 64 KiB tmpfs; needs root to mount it, as CI has)', () => {
  it.each(MODES)('keeps every acknowledged verdict and no partial line when the disk fills up, and goes on once it frees (%s)', async (mode) => {
    const dir = join(disk!.dir, mode);
    mkdirSync(dir);
    // most of the disk taken by another file, so the journal fills it within a few hundred verdicts
    writeFileSync(join(dir, 'filler'), Buffer.alloc(48 * 1024));
    const { journal } = Journal.open(dir);
    const append = appender(journal, mode);
    const acked: number[] = [];
    let failures = 0;
    for (let i = 0; i < 2000 && failures < 5; i++) {
      try {
        acked.push((await append.one({ ...verdict(i), note: `verdict ${i} `.padEnd(120, '.') })).seq);
      } catch (e) {
        failures++;
        expect(e).toMatchObject({ code: 'io' });
      }
    }
    expect(failures).toBe(5); // the disk did fill up
    expect(acked.length).toBeGreaterThan(20);
    const text = lines(dir);
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual(acked);
    // space frees (the filler goes): appends go on, whole
    rmSync(join(dir, 'filler'));
    const more = [(await append.one(verdict(5000))).seq, (await append.one(verdict(5001))).seq];
    expect(more).toEqual([acked.at(-1)! + 1, acked.at(-1)! + 2]);
    journal.close();
    const again = Journal.open(dir);
    expect(again.warnings).toEqual([]);
    expect(again.journal.history().map((e) => e.seq)).toEqual([...acked, ...more]);
    again.journal.close();
    appendFileSync(join(dir, 'x'), ''); // the disk is usable again
    rmSync(dir, { recursive: true }); // room for the other mode's run
  });
});
