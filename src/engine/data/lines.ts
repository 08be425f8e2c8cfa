// Line iteration over data files, streamed. Hand-written rather than a CSV library: these benchmark
// files are tab- or space-separated id lists with no quoting, and at ~500k lines per file the
// split-per-line loop below is several times faster than a general CSV parser. A file is read 1 MiB
// at a time and never becomes one string, so its size is bounded by the disk, not by V8's heap or
// string limit; a line over MAX_LINE bytes (a binary file, a missing line end) is reported and
// skipped instead of growing without bound.
import { open, readFile, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { MmeaError } from '../../shared/errors';
import { requireRegularFile } from './folder';
import type { InputReport } from './report';

export interface Line {
  /** 1-based */
  number: number;
  fields: string[];
  /** the whole line, without its line end */
  text: string;
}

const CHUNK = 1 << 20;
/** The longest line read (bytes); no field of a knowledge-graph file comes near it. */
export const MAX_LINE = 1 << 20;

/** The fields of one line: split on tabs, or on runs of whitespace when `ws`. */
const split = (line: string, ws: boolean) => (ws ? line.trim().split(/\s+/) : line.split('\t'));

/** Yields the non-empty lines of `text` split on tabs (or on runs of whitespace when `ws`). For text
 *  already in memory (a test, a small generated file); data files go through eachLine. */
export function* lines(text: string, ws = false): Generator<Line> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark
  let number = 0;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    number++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    start = end + 1;
    if (line.trim().length > 0) yield { number, fields: split(line, ws), text: line };
    if (end === n) break;
  }
}

/**
 * Calls `onLine` for each non-empty line of the data file at `path` (named `file` in the report),
 * in order, and returns how many there were. A FIFO, device or folder in its place is an error
 * naming it, never a hang; a line that is not valid UTF-8 is read with U+FFFD for the bad bytes and
 * warned about; a line longer than MAX_LINE is an error and is skipped; a BOM and CRLF line ends are
 * accepted; a tab-separated field with leading or trailing spaces is warned about (it is kept as
 * written, so "Paris " names another entity than "Paris") unless `textOnly` (the caller parses the
 * line's text itself). `signal` is checked between chunks, so an import is cancelled inside a large
 * file.
 */
export async function eachLine(
  path: string,
  file: string,
  report: InputReport,
  onLine: (line: Line) => void,
  options: { ws?: boolean; textOnly?: boolean; signal?: AbortSignal } = {},
): Promise<number> {
  await requireRegularFile(path);
  const ws = options.ws ?? false;
  const fh = await open(path, 'r');
  let number = 0;
  let count = 0;
  let carry: Buffer[] = [];
  let carryLength = 0;
  let skipping = false; // inside an over-long line, until its end
  const emit = (bytes: Buffer) => {
    number++;
    if (number === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (!isUtf8(bytes)) report.warning(file, number, 'is not valid UTF-8 (another encoding?); read with U+FFFD in place of the bad bytes');
    const text = bytes.toString('utf8');
    if (text.trim().length === 0) return;
    count++;
    const fields = split(text, ws);
    if (!ws && !options.textOnly) {
      const k = fields.findIndex((f) => f.length > 0 && f !== f.trim());
      if (k >= 0)
        report.warning(
          file,
          number,
          `field ${k + 1} ${JSON.stringify(fields[k])} has leading or trailing whitespace: kept as written, so it names something other than ${JSON.stringify(fields[k]!.trim())}`,
        );
    }
    onLine({ number, fields, text });
  };
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      options.signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, bytesRead);
      let from = 0;
      for (let nl = data.indexOf(0x0a, from); nl >= 0; nl = data.indexOf(0x0a, from)) {
        if (skipping) {
          number++;
          skipping = false;
        } else emit(carryLength > 0 ? Buffer.concat([...carry, data.subarray(from, nl)]) : data.subarray(from, nl));
        carry = [];
        carryLength = 0;
        from = nl + 1;
      }
      if (skipping || from === bytesRead) continue;
      if (carryLength + bytesRead - from > MAX_LINE) {
        report.error(file, number + 1, `line is longer than ${MAX_LINE} bytes (a binary file, or line ends missing?); skipped`);
        skipping = true;
        carry = [];
        carryLength = 0;
        continue;
      }
      carry.push(Buffer.from(data.subarray(from))); // a copy: buf is reused by the next read
      carryLength += bytesRead - from;
    }
    if (!skipping && carryLength > 0) emit(Buffer.concat(carry));
  } finally {
    await fh.close();
  }
  return count;
}

/** The largest id a project stores (ids live in Int32Arrays): a larger one is an error, never wrapped. */
export const MAX_ID = 2 ** 31 - 1;

/** Parses a non-negative integer id strictly ("12", not "12a", "1.5" or one beyond MAX_ID). */
export function parseId(s: string | undefined): number | null {
  if (s === undefined || s.length === 0 || s.length > 15) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = Number(s);
  return n <= MAX_ID ? n : null;
}

/** Why a line's id fields were refused, beyond their shape: an id too large to store (else ''). */
export function idTooLarge(...fields: (string | undefined)[]): string {
  const big = fields.find((f) => f !== undefined && /^\d+$/.test(f) && Number(f) > MAX_ID);
  return big === undefined ? '' : ` (id ${big} is beyond the largest id stored, ${MAX_ID})`;
}

/** The text of a small file (a JSON header, a package manifest), read whole; one larger than
 *  `limit` bytes is an error naming it rather than a string that may not fit. */
export async function readSmallText(path: string, limit = 16 << 20): Promise<string> {
  await requireRegularFile(path);
  const size = (await stat(path)).size;
  if (size > limit) throw new MmeaError('bad-input', `${path}: is ${size} bytes; a file of this kind is at most ${limit} bytes`);
  return readFile(path, 'utf8');
}
