import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, readDataset } from '../../src/engine/data/formats';
import { literal, terms } from '../../src/engine/data/mmkb';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS } from '../../src/engine/features/build';
import { MMKB, OPENEA, TSV } from '../fixtures/datasets';
import { DEMO_DATASET, SHARED_DATA, skipWithout, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
function folder(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(tmp.path, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe('dataset formats', () => {
  it('detects each format by the files a folder holds', () => {
    expect(detectFormat(DEMO_DATASET)).toBe('ids');
    expect(detectFormat(folder('d-openea', OPENEA))).toBe('openea');
    expect(detectFormat(folder('d-tsv', TSV))).toBe('tsv');
    expect(detectFormat(folder('d-mmkb', MMKB))).toBe('mmkb');
    expect(detectFormat(folder('d-openke', { 'entity2id.txt': '0\n', 'relation2id.txt': '0\n' }))).toBe('openke');
    expect(detectFormat(tmp.path)).toBeNull();
  });

  it('reads the OpenEA layout with its fold split and literal values', async () => {
    const dir = folder('openea', OPENEA);
    const r = new InputReport();
    const p = await readDataset(dir, r);
    expect(r.hasErrors).toBe(false);
    expect(p.format).toBe('openea');
    expect(p.sides.map((s) => s.ids.length)).toEqual([3, 3]);
    expect(p.sides.map((s) => [s.triples.length / 3, s.tripleLines])).toEqual([
      [2, 2],
      [1, 2],
    ]);
    expect([p.links.length, p.train.length, p.valid!.length, p.test.length].map((n) => n / 2)).toEqual([3, 1, 1, 1]);
    expect(p.sides[0].attrValue).toEqual(['"12"']);
    const f2 = await readDataset(dir, new InputReport(), { fold: '721_5fold/2' });
    expect([f2.train.length, f2.test.length].map((n) => n / 2)).toEqual([1, 2]);
    const bad = new InputReport();
    await readDataset(dir, bad, { fold: '721_5fold/9' });
    expect(bad.format()).toMatch(/no fold folder 721_5fold\/9/);
    // the dataset's own validation part is used as is
    const f = buildFeatures(p, DEFAULT_SETTINGS);
    expect([f.split.train.length, f.split.valid.length, f.split.test.length].map((n) => n / 2)).toEqual([1, 1, 1]);
  });

  it('reads our TSV format: comments, BOM, CRLF, names, value-less attributes, split files', async () => {
    const r = new InputReport();
    const p = await readDataset(folder('tsv', TSV), r);
    expect(r.issues).toEqual([]);
    expect(p.sides[0].uris).toEqual(['Paris', 'France', 'Lyon']);
    expect(p.sides[0].names).toEqual(['Paris, the city', 'France', 'Lyon']);
    expect(p.sides[0].namedFromFile).toBe(1);
    expect(p.sides[0].attrValue).toEqual(['2100000', null]);
    expect([p.links.length, p.train.length, p.test.length].map((n) => n / 2)).toEqual([2, 1, 1]);
  });

  it('names file and line of malformed TSV rows, and links to unknown entities', async () => {
    const r = new InputReport();
    await readDataset(folder('tsv-bad', { ...TSV, 'kg2/triples.tsv': 'a\tb\n# fine\nc\td\te\n\tx\ty\n', 'links.tsv': 'Paris\tnowhere\n' }), r);
    expect(r.issues.filter((i) => i.file === 'kg2/triples.tsv').map((i) => i.line)).toEqual([1, 4]);
    expect(r.issues).toContainEqual(expect.objectContaining({ file: 'links.tsv', line: 1, severity: 'warning' }));
  });

  it('tokenizes MMKB lines that are not valid N-Triples, and reads a release', async () => {
    expect(terms('/m/01m4kpp <SameAs> <http://dbpedia.org/resource/Andy_Griffith> .')).toEqual(['/m/01m4kpp', '<SameAs>', '<http://dbpedia.org/resource/Andy_Griffith>']);
    expect(literal('"1.5"^^<http://www.w3.org/2001/XMLSchema#double>')).toBe('1.5');
    expect(literal('"a \\"q\\""@en')).toBe('a "q"');
    const r = new InputReport();
    const p = await readDataset(folder('mmkb', MMKB), r);
    expect(r.hasErrors).toBe(false);
    expect(p.sides.map((s) => [s.ids.length, s.triples.length / 3, s.images])).toEqual([
      [3, 2, 1],
      [2, 1, 0],
    ]);
    expect(p.sides[1].attrValue).toEqual(['1.5']);
    expect(p.links.length / 2).toBe(2);
  });

  const raw = join(SHARED_DATA, 'mmkb', 'raw');
  it.skipIf(skipWithout('../shared/data/mmkb/raw', existsSync(raw)))('reads the real MMKB release files with the counts of its SOURCE.md', async () => {
    const r = new InputReport();
    const p = await readDataset(raw, r);
    expect(r.hasErrors).toBe(false);
    expect(p.links.length / 2).toBe(12846);
    expect(p.sides[0].attrEntity.length).toBe(29395);
    expect(p.sides[0].attributeNames.length).toBe(116);
    expect(p.sides.map((s) => s.images)).toEqual([13444, 12837]); // 12,841 index lines, 12,837 entities
  });

  it('keeps a # inside a TSV line as data: URIs with fragments, names with a hash', async () => {
    const r = new InputReport();
    const p = await readDataset(
      folder('tsv-hash', {
        ...TSV,
        'kg1/triples.tsv': '# a comment\nhttp://x.org/o#Paris\thttp://x.org/o#in\thttp://x.org/o#France\n',
        'kg1/names.tsv': 'http://x.org/o#Paris\tC# city\n',
        'kg1/attributes.tsv': 'http://x.org/o#Paris\thttp://x.org/o#population\t2#1\n',
        'links.tsv': 'http://x.org/o#Paris\tparis_fr\n',
        'train.tsv': 'http://x.org/o#Paris\tparis_fr\n',
        'test.tsv': '',
      }),
      r,
    );
    expect(r.issues).toEqual([]);
    expect(p.sides[0].uris).toEqual(['http://x.org/o#Paris', 'http://x.org/o#France']);
    expect(p.sides[0].names[0]).toBe('C# city');
    expect(p.sides[0].attributeNames).toEqual(['http://x.org/o#population']);
    expect(p.sides[0].attrValue).toEqual(['2#1']);
  });

  it('warns of a field with stray whitespace in the URI-named formats, naming file and line', async () => {
    const r = new InputReport();
    await readDataset(folder('tsv-spaces', { ...TSV, 'kg2/triples.tsv': 'paris_fr\tcapitale\tfrance_fr \n' }), r);
    expect(r.issues).toContainEqual(
      expect.objectContaining({ file: 'kg2/triples.tsv', line: 1, severity: 'warning', message: expect.stringMatching(/^field 3 "france_fr " has leading or trailing whitespace/) }),
    );
    const o = new InputReport();
    await readDataset(folder('openea-spaces', { ...OPENEA, ent_links: ' http://en/a\thttp://fr/a\n' }), o);
    expect(o.issues).toContainEqual(expect.objectContaining({ file: 'ent_links', line: 1, message: expect.stringMatching(/^field 1 " http:\/\/en\/a"/) }));
  });

  it('reads a file in 1 MiB pieces without losing a line at their seams, and drops repeated triples', async () => {
    // ~10 MB: many lines straddle the reader's reads; the memory bound itself is bench/import-memory.mjs'
    const n = 200_000;
    const rows = Array.from({ length: n }, (_, i) => `http://en/e${i % 5000}\thttp://en/r${i % 7}\thttp://en/e${(i * 31) % 5000}`);
    const dir = folder('openea-big', { ...OPENEA, rel_triples_1: rows.join('\n') + '\n' });
    const r = new InputReport();
    const p = await readDataset(dir, r, { format: 'openea' });
    expect(r.hasErrors).toBe(false);
    expect(p.sides[0].tripleLines).toBe(n);
    const distinct = new Set(rows).size;
    expect(p.sides[0].triples.length / 3).toBe(distinct);
  });
});
