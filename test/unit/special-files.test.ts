// Special files in place of a dataset's files (issue 16): a named pipe (reading it would wait for a
// writer forever), a folder, a device. Each is an error naming the file, never a hang or a crash; an
// empty required file is an error too, not silence.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importJob } from '../../src/engine/jobs/import';
import { DEMO_DATASET, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
const ctx = (jobId: string) => ({ jobId, signal: new AbortController().signal, progress: () => {} });
let n = 0;
/** A copy of the demo with `file` replaced by what `make` puts there; the import's error. */
async function importWith(file: string, make: (path: string) => void): Promise<Error> {
  const dir = join(tmp.path, `ds${n++}`);
  cpSync(DEMO_DATASET, dir, { recursive: true });
  rmSync(join(dir, file));
  make(join(dir, file));
  return importJob({ source: dir, project: join(tmp.path, `p${n}`) }, ctx(`special-${n}`)).then(
    () => new Error('imported'),
    (e: Error) => e,
  );
}

describe('special files in a dataset', () => {
  it('a named pipe is an error naming it, at once (no writer ever comes)', async () => {
    const e = await importWith('triples_1', (p) => execFileSync('mkfifo', [p]));
    expect(e.message).toMatch(/triples_1: is a named pipe \(FIFO\), not a data file/);
  }, 20_000);

  it('a folder in place of a file is an error naming it', async () => {
    const e = await importWith('ent_ids_2', (p) => mkdirSync(p));
    expect(e.message).toMatch(/ent_ids_2: is a folder, not a data file/);
  });

  it('a device is an error naming it', async () => {
    const e = await importWith('attr_triples_1', (p) => symlinkSync('/dev/zero', p));
    expect(e.message).toMatch(/attr_triples_1: is a device, not a data file/);
  }, 20_000);

  it('an empty required file is an error naming it', async () => {
    for (const file of ['ent_ids_1', 'ent_ids_2', 'ill_ent_ids']) {
      const e = await importWith(file, (p) => writeFileSync(p, ''));
      expect(e.message, file).toMatch(new RegExp(`${file}: error: is empty`));
    }
  });
});
