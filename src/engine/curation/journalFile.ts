// The journal file's two helpers that are not the journal's logic: reading it line by line in
// bounded memory (a journal of any size never becomes one string), and the exclusive lock that
// keeps a second writer (the app and `mmea verdicts` on one project) from interleaving sequence
// numbers. Our own few lines around node:fs: an O_EXCL lock file naming its holder, taken over only
// when that holder is a process of this machine that no longer runs.
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { MmeaError } from '../../shared/errors';

const CHUNK = 1 << 20;

/** The file's complete lines (text, 1-based number), then where the last complete line ends; bytes
 *  after it (no line end) are a torn tail. Reads 1 MiB at a time. */
export function* linesOf(path: string): Generator<{ line: string; lineNo: number }, { end: number; size: number }> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { end: 0, size: 0 };
    throw e;
  }
  try {
    const buf = Buffer.alloc(CHUNK);
    // the pieces of a line that spans reads, joined once at its end (joining on every read was
    // quadratic in the line's length: a torn tail of hundreds of MB)
    let carry: Buffer[] = [];
    let pos = 0;
    let end = 0;
    let lineNo = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      pos += n;
      const data = buf.subarray(0, n);
      let from = 0;
      for (let nl = data.indexOf(0x0a, from); nl >= 0; nl = data.indexOf(0x0a, from)) {
        lineNo++;
        const line = carry.length ? Buffer.concat([...carry, data.subarray(from, nl)]) : data.subarray(from, nl);
        yield { line: line.toString('utf8'), lineNo };
        end = pos - n + nl + 1;
        carry = [];
        from = nl + 1;
      }
      if (from < n) carry.push(Buffer.from(data.subarray(from))); // a copy: buf is read into again
    }
    return { end, size: pos };
  } finally {
    closeSync(fd);
  }
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the lock file at `lock` for this process, or throws (code 'conflict') naming the writer that
 * holds it. A lock left by a process of this machine that no longer runs (a killed app) is taken
 * over; so is one that names no holder and is older than a few seconds (its writer died between
 * creating and filling it). Returns the release function.
 */
export function takeLock(lock: string, what: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Holder));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: Holder | null = null;
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8')) as Holder;
    } catch {
      holder = null;
    }
    const stale = holder ? holder.host === hostname() && !alive(holder.pid) : Date.now() - safeMtime(lock) > 5000;
    if (!stale) {
      const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.since}` : 'a writer that is just starting';
      throw new MmeaError('conflict', `${what} is open in another writer (${who}): close it there (the app, or mmea verdicts) and try again; if no such process runs, delete ${lock}`);
    }
    rmSync(lock, { force: true });
  }
  throw new MmeaError('conflict', `${what}: could not take ${lock}`);
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
