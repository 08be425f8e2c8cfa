// Writing bytes so that what is acknowledged is on disk whole: a write may take only part of a
// buffer (a full disk), so the rest is written on until it is all there or the write fails. Used by
// every export (the verdict journal has its own, sync and async: curation/journal.ts); our own few
// lines around node:fs.
import { writeSync } from 'node:fs';

export type WriteFn = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

/** Writes all of `buf` at the file's position; throws when a write fails or takes no bytes. */
export function writeAll(fd: number, buf: Uint8Array, write: WriteFn = writeSync): void {
  for (let off = 0; off < buf.length;) {
    const n = write(fd, buf, off, buf.length - off);
    if (!(n > 0)) throw Object.assign(new Error('the write took no bytes'), { code: 'EIO' });
    off += n;
  }
}
