// Line iteration over whole files. Hand-written rather than a CSV library: these benchmark files are
// tab- or space-separated id lists with no quoting, and at ~500k lines per file the split-per-line
// loop below is several times faster than a general CSV parser.
import { readFile } from 'node:fs/promises';
import { requireRegularFile } from './folder';

export interface Line {
  /** 1-based */
  number: number;
  fields: string[];
}

/** Yields the non-empty lines of `text` split on tabs (or on runs of whitespace when `ws`). */
export function* lines(text: string, ws = false): Generator<Line> {
  let start = 0;
  let number = 0;
  const n = text.length;
  // tolerate a UTF-8 byte-order mark
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    number++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    start = end + 1;
    if (line.trim().length === 0) {
      if (end === n) break;
      continue;
    }
    yield { number, fields: ws ? line.trim().split(/\s+/) : line.split('\t') };
    if (end === n) break;
  }
}

/** A data file's text; a FIFO, device or folder in its place is an error naming it, never a hang. */
export async function readText(path: string): Promise<string> {
  await requireRegularFile(path);
  return readFile(path, 'utf8');
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
