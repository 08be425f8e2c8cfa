// Every reader that takes a folder (a dataset, a project) checks it first, so a wrong path gets a
// plain message naming it ("no such folder", "is a file, not a folder") instead of a system error.
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { MmeaError } from '../../shared/errors';

/** Throws a plain 'not-found' error unless `path` is an existing folder; `what` names what was expected. */
export function requireFolder(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new MmeaError('not-found', `${path}: no such folder (expected ${what})`);
  }
  if (!st.isDirectory()) throw new MmeaError('not-found', `${path}: is a file, not a folder (expected ${what})`);
}

/** Throws a plain 'bad-input' error naming `path` unless it is a regular file: reading a FIFO would
 *  wait for a writer forever, a device would never end, a folder cannot be read as text. */
export async function requireRegularFile(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new MmeaError('not-found', `${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (st.isFile()) return;
  const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  throw new MmeaError('bad-input', `${path}: is ${what}, not a data file`);
}
