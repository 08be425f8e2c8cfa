// `mmea simulate --extra-links`: pairs a dataset's links miss, which the oracle confirms too
// (engine/curation/extraLinks.ts). The file is read with errors naming its line; a pair enters the
// truth only where both ends are free, so it can never contradict a seed or a link.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addExtraLinks, readUriPairs } from '../../src/engine/curation/extraLinks';
import { MmeaError } from '../../src/shared/errors';
import { tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('extra links', () => {
  it('reads URI pairs, skipping comments, and names the file and line of a malformed one', async () => {
    const good = join(tmp.path, 'good.tsv');
    writeFileSync(good, '# found by bench/reference-gaps.mjs\nhttp://a/1\thttp://b/1\r\nhttp://a/2\thttp://b/2#x\n');
    expect(await readUriPairs(good)).toEqual([
      { source: 'http://a/1', target: 'http://b/1', line: 2 },
      { source: 'http://a/2', target: 'http://b/2#x', line: 3 },
    ]);
    const bad = join(tmp.path, 'bad.tsv');
    writeFileSync(bad, 'http://a/1\thttp://b/1\nhttp://a/2 http://b/2\nhttp://a/3\thttp://b/3\tx\n');
    const err = await readUriPairs(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MmeaError);
    expect((err as MmeaError).code).toBe('bad-input');
    expect((err as MmeaError).message).toMatch(/bad\.tsv:2: error: expected "graph-1 URI<TAB>graph-2 URI"/);
    expect((err as MmeaError).message).toMatch(/bad\.tsv:3: error/);
  });

  it('adds a pair only where both ends are free, and says why it passed over the others', () => {
    // rows 0–3 are graph 1, 4–7 graph 2; the truth holds 1 → 5, row 0 is a seed with 4
    const rows = new Map(['s0', 's1', 's2', 's3', 't0', 't1', 't2', 't3'].map((u, i) => [u, i]));
    const truth = new Map([[1, 5]]);
    const line = (source: string, target: string, n: number) => ({ source, target, line: n });
    const r = addExtraLinks(
      [line('s2', 't2', 1), line('s0', 't3', 2), line('s3', 't1', 3), line('s3', 'nope', 4), line('t3', 's3', 5), line('s1', 't3', 6), line('s3', 't2', 7), line('s3', 't3', 8)],
      truth,
      new Set([0, 4]),
      (side, u) => {
        const r = rows.get(u);
        return r !== undefined && r < 4 === (side === 1) ? r : undefined;
      },
    );
    expect(r.added).toBe(2);
    expect(r.given).toBe(8);
    expect([...truth]).toEqual([
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
    expect(r.passedOver).toEqual([
      'line 2: s0 already has a seed or a link',
      'line 3: t1 already has a seed or a link',
      'line 4: nope is not an entity of the project',
      'line 5: the first URI must be of graph 1, the second of graph 2',
      'line 6: s1 already has a seed or a link',
      'line 7: t2 already has a seed or a link',
    ]);
  });
});
