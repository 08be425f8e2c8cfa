import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, FORMATS, readDataset } from '../../src/engine/data/formats';
import { literal, terms } from '../../src/engine/data/mmkb';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS } from '../../src/engine/features/build';
import { DEMO_DATASET, SHARED_DATA, tempDir } from '../helpers';

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

const OPENEA = {
  rel_triples_1: 'http://en/a\thttp://en/r\thttp://en/b\nhttp://en/b\thttp://en/r\thttp://en/c\n',
  rel_triples_2: 'http://fr/a\thttp://fr/r\thttp://fr/b\nhttp://fr/a\thttp://fr/r\thttp://fr/b\n',
  attr_triples_1: 'http://en/a\thttp://en/pop\t"12"\n',
  attr_triples_2: 'http://fr/c\thttp://fr/pop\t12\n',
  ent_links: 'http://en/a\thttp://fr/a\nhttp://en/b\thttp://fr/b\nhttp://en/c\thttp://fr/c\n',
  '721_5fold/1/train_links': 'http://en/a\thttp://fr/a\n',
  '721_5fold/1/valid_links': 'http://en/b\thttp://fr/b\n',
  '721_5fold/1/test_links': 'http://en/c\thttp://fr/c\n',
  '721_5fold/2/train_links': 'http://en/c\thttp://fr/c\n',
  '721_5fold/2/test_links': 'http://en/a\thttp://fr/a\nhttp://en/b\thttp://fr/b\n',
};
const TSV = {
  'kg1/triples.tsv': '\ufeff# my graph\r\nParis\tcapital of\tFrance\r\nLyon\tin\tFrance\r\n',
  'kg1/names.tsv': 'Paris\tParis, the city\n',
  'kg1/attributes.tsv': 'Paris\tpopulation\t2100000\nLyon\tfounded\n',
  'kg2/triples.tsv': 'paris_fr\tcapitale\tfrance_fr\n',
  'links.tsv': 'Paris\tparis_fr\nFrance\tfrance_fr\n',
  'train.tsv': 'Paris\tparis_fr\n',
  'test.tsv': 'France\tfrance_fr\n',
};
const MMKB = {
  'FB15K_EntityTriples.txt': '/m/a <http://rdf.freebase.com/ns/r> /m/b .\n/m/b <http://rdf.freebase.com/ns/r> /m/c .\n',
  'DB15K_EntityTriples.txt': '<http://dbpedia.org/resource/A> <http://dbpedia.org/ontology/r> <http://dbpedia.org/resource/B> .\n',
  'FB15K_NumericalTriples.txt': '/m/a\t<http://rdf.freebase.com/ns/height>\t1.5\n',
  'DB15K_NumericalTriples.txt': '<http://dbpedia.org/resource/A> <http://dbpedia.org/ontology/height> "1.5"^^<http://www.w3.org/2001/XMLSchema#double> .\n',
  'DB15K_SameAsLink.txt': '/m/a <SameAs> <http://dbpedia.org/resource/A> .\n/m/b <SameAs> <http://dbpedia.org/resource/B> .\n',
  'FB15K_ImageIndex.txt': '/m/a\tFBIMG1\n/m/a\tFBIMG2\n',
};

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
    expect(terms('/m/01m4kpp <SameAs> <http://dbpedia.org/resource/Andy_Griffith> .')).toEqual([
      '/m/01m4kpp',
      '<SameAs>',
      '<http://dbpedia.org/resource/Andy_Griffith>',
    ]);
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
  it.runIf(existsSync(raw))('reads the real MMKB release files with the counts of its SOURCE.md', async () => {
    const r = new InputReport();
    const p = await readDataset(raw, r);
    expect(r.hasErrors).toBe(false);
    expect(p.links.length / 2).toBe(12846);
    expect(p.sides[0].attrEntity.length).toBe(29395);
    expect(p.sides[0].attributeNames.length).toBe(116);
    expect(p.sides.map((s) => s.images)).toEqual([13444, 12837]); // 12,841 index lines, 12,837 entities
  });

  it('survives truncated, binary, huge-line and mixed-encoding files in every format', async () => {
    const huge = 'x'.repeat(4 << 20); // one 4 MB line
    const binary = Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => (i * 7919 + 13) % 256));
    const mixed = Buffer.concat([Buffer.from('caf\xe9\tr\tna\xefve\n', 'latin1'), Buffer.from('café\tr\tnaïve\n')]);
    const sources: Record<(typeof FORMATS)[number], Record<string, string | Buffer>> = {
      ids: Object.fromEntries(['ent_ids_1', 'ent_ids_2', 'triples_1', 'triples_2', 'ill_ent_ids'].map((f) => [f, readFileSync(join(DEMO_DATASET, f))])),
      openea: OPENEA,
      tsv: TSV,
      mmkb: MMKB,
      openke: {
        'entity2id.txt': '3\n<http://x/a>\t0\n<http://x/b>\t1\n<http://x/c>\t2\n',
        'relation2id.txt': '1\n<http://x/r>\t0\n',
        'train2id.txt': '2\n0 1 0\n1 2 0\n',
      },
    };
    for (const format of FORMATS) {
      const files = Object.keys(sources[format]);
      for (const [kind, damage] of [
        ['truncated', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
        ['binary', () => binary],
        ['huge line', () => Buffer.from(huge)],
        ['mixed encoding', () => mixed],
      ] as const) {
        for (const file of files) {
          const damaged = { ...sources[format], [file]: damage(Buffer.from(sources[format][file]!)) };
          const dir = folder(`fuzz-${format}-${kind.replace(' ', '-')}-${file.replace(/\W/g, '_')}`, damaged);
          const r = new InputReport();
          const t0 = Date.now();
          await readDataset(dir, r, { format }).catch((e: unknown) => expect((e as Error).message).toMatch(/./));
          expect(Date.now() - t0, `${format} ${kind} ${file}`).toBeLessThan(20_000);
          expect(r.issues.length).toBeLessThanOrEqual(2000);
        }
      }
    }
  }, 300_000);
});
