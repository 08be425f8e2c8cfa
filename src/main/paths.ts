// Where things are, for the Electron entry and browser mode alike. Both bundles live in out/main,
// so the app root is two folders up from the running file.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function appRoot(dirname: string): string {
  return join(dirname, '..', '..');
}

export function defaultHome(): string {
  return process.env.MMEA_HOME ?? join(homedir(), '.mmea-studio');
}
