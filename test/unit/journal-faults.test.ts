// The verdict journal under faults that are not a kill (issue 16): a disk that fills up in the middle
// of a line, a write or flush that fails. A verdict is acknowledged only when its whole line is on
// disk; a failed append is an error to the caller (code 'io') that leaves the file at its last
// complete line, so reopening drops nothing acknowledged and later appends start clean. Tested with
// a file-system seam (every case, everywhere) and with a real tiny tmpfs where the machine lets us
// mount one (root, as on CI).
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fdatasyncSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, JOURNAL_FILE, type JournalIo } from '../../src/engine/curation/journal';
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
  return {
    writeSync(fd, b, o, l) {
      if (left <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      const k = Math.min(l, left);
      left -= k;
      return writeSync(fd, b, o, k);
    },
    fdatasyncSync,
    ftruncateSync(fd, len) {
      ftruncateSync(fd, len);
    },
    free(bytes) {
      left += bytes;
    },
  };
}

describe('verdict journal under write faults', () => {
  it('never acknowledges a line the full disk cut short; cuts it off; appends cleanly once space frees', () => {
    const dir = fresh();
    const io = fillingDisk(400);
    const { journal } = Journal.open(dir, io);
    const acked: number[] = [];
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      try {
        acked.push(journal.append(verdict(i)).seq);
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
    expect(lines(dir).trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual(acked);
    // space frees: the next verdict lands whole after them (not glued onto a fragment)
    io.free(10_000);
    const next = journal.append(verdict(99));
    expect(next.seq).toBe(acked.at(-1)! + 1);
    journal.close();
    const again = Journal.open(dir);
    expect(again.warnings).toEqual([]);
    expect(again.journal.history().map((e) => e.seq)).toEqual([...acked, next.seq]);
    again.journal.close();
  });

  it('refuses a whole batch when a write fails midway, and when the flush fails', () => {
    for (const failing of ['write', 'flush'] as const) {
      const dir = fresh();
      let armed = false;
      let writes = 0;
      const io: JournalIo = {
        writeSync: (fd, b, o, l) => {
          if (armed && failing === 'write' && ++writes === 3) throw Object.assign(new Error('input/output error'), { code: 'EIO' });
          return writeSync(fd, b, o, l);
        },
        fdatasyncSync: (fd) => {
          if (armed && failing === 'flush') throw Object.assign(new Error('input/output error'), { code: 'EIO' });
          fdatasyncSync(fd);
        },
        ftruncateSync,
      };
      const { journal } = Journal.open(dir, io);
      journal.append(verdict(0));
      const before = lines(dir);
      armed = true;
      expect(() => journal.appendAll([verdict(1), verdict(2), verdict(3), verdict(4)])).toThrow(/EIO/);
      expect(lines(dir), failing).toBe(before);
      expect(journal.history()).toHaveLength(1); // nothing of the batch is standing either
      armed = false;
      expect(journal.append(verdict(5)).seq).toBe(2);
      journal.close();
    }
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
  it('keeps every acknowledged verdict and no partial line when the disk fills up, and goes on once it frees', () => {
    const dir = disk!.dir;
    // most of the disk taken by another file, so the journal fills it within a few hundred verdicts
    writeFileSync(join(dir, 'filler'), Buffer.alloc(48 * 1024));
    const { journal } = Journal.open(dir);
    const acked: number[] = [];
    let failures = 0;
    for (let i = 0; i < 2000 && failures < 5; i++) {
      try {
        acked.push(journal.append({ ...verdict(i), note: `verdict ${i} `.padEnd(120, '.') }).seq);
      } catch (e) {
        failures++;
        expect(e).toMatchObject({ code: 'io' });
      }
    }
    expect(failures).toBe(5); // the disk did fill up
    expect(acked.length).toBeGreaterThan(20);
    const text = lines(dir);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual(acked);
    // space frees (the filler goes): appends go on, whole
    rmSync(join(dir, 'filler'));
    const more = [journal.append(verdict(5000)).seq, journal.append(verdict(5001)).seq];
    expect(more).toEqual([acked.at(-1)! + 1, acked.at(-1)! + 2]);
    journal.close();
    const again = Journal.open(dir);
    expect(again.warnings).toEqual([]);
    expect(again.journal.history().map((e) => e.seq)).toEqual([...acked, ...more]);
    again.journal.close();
    appendFileSync(join(dir, 'x'), ''); // the disk is usable again
  });
});
