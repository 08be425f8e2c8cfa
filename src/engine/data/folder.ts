// Every reader that takes a folder (a dataset, a project) checks it first, so a wrong path gets a
// plain message naming it ("no such folder", "is a file, not a folder") instead of a system error.
import { statSync } from 'node:fs';
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
