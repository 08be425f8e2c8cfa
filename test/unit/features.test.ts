import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIdFormat } from '../../src/engine/data/idFormat';
import type { KgPair } from '../../src/engine/data/kg';
import { PROJECT_FORMAT, writeProject } from '../../src/engine/data/project';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS, parseNumeric, type Features } from '../../src/engine/features/build';
import { ensureFeatures } from '../../src/engine/features/store';
import { DEMO_DATASET, tempDir } from '../helpers';

// KG1: a-b-c path (relation 0 twice, relation 1 once), d isolated; KG2: A-B (relation 2).
const files: Record<string, string> = {
  ent_ids_1: '0\t<http://x/a>\n1\t<http://x/b>\n2\t<http://x/c>\n3\t<http://x/d>\n',
  ent_ids_2: '10\t<http://y/A>\n11\t<http://y/B>\n',
  triples_1: '0\t0\t1\n1\t0\t2\n2\t1\t0\n',
  triples_2: '10\t2\t11\n',
  ill_ent_ids: '0\t10\n1\t11\n',
  names_1: '0\tab\n',
  attr_triples_1: '<http://x/a>\theight\t2\n<http://x/b>\theight\t4\n<http://x/c>\tborn\t1990-07-01\n',
  training_attrs_2: '<http://y/A>\theight\n',
};

const dense = (f: Features['relationBow'], r: number) => {
  const row = new Array<number>(f.cols).fill(0);
  for (let k = f.indptr[r]!; k < f.indptr[r + 1]!; k++) row[f.indices[k]!] = f.values[k]!;
  return row;
};

describe('features', () => {
  const tmp = tempDir();
  let pair: KgPair;
  let f: Features;
  beforeAll(async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (const [n, t] of Object.entries(files)) writeFileSync(join(src, n), t);
    pair = await readIdFormat(src, new InputReport());
    f = buildFeatures(pair, DEFAULT_SETTINGS);
  });
  afterAll(tmp.cleanup);

  it('orders rows KG1 then KG2 and keeps the structure in both directions', () => {
    expect([...f.rowIds]).toEqual([0, 1, 2, 3, 10, 11]);
    expect(f.rows1).toBe(4);
    const nb = (r: number) => [...f.graph.neighbours.slice(f.graph.indptr[r], f.graph.indptr[r + 1])].sort();
    expect(nb(0)).toEqual([1, 2]);
    expect(nb(3)).toEqual([]);
    expect(nb(4)).toEqual([5]);
    expect([...f.coverage.structure]).toEqual([1, 1, 1, 0, 1, 1]);
  });

  it('counts the most frequent relations over both graphs, ignoring direction (raw counts)', () => {
    expect(f.relationColumns).toEqual([0, 1, 2]); // relation 0 twice; 1 and 2 once, first seen first
    expect(dense(f.relationBow, 1)).toEqual([2, 0, 0]); // b: head of one, tail of one relation-0 triple
    expect(dense(f.relationBow, 0)).toEqual([1, 1, 0]);
    expect(dense(f.relationBow, 5)).toEqual([0, 0, 1]);
    const top1 = buildFeatures(pair, { ...DEFAULT_SETTINGS, relationTopK: 1 });
    expect(top1.relationColumns).toEqual([0]);
    expect([...top1.coverage.relations]).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('marks attributes as binary bag-of-words shared by name across graphs', () => {
    expect(f.attributeColumns).toEqual(['height', 'born']);
    expect(dense(f.attributeBow, 0)).toEqual([1, 0]);
    expect(dense(f.attributeBow, 4)).toEqual([1, 0]); // A has 'height' by name only
    expect([...f.coverage.attributes]).toEqual([1, 1, 1, 0, 1, 0]);
  });

  it("turns each entity's attribute sentence into character trigrams weighted by tf-idf over the entities, unit rows", () => {
    const g = buildFeatures(pair, { ...DEFAULT_SETTINGS, attributeTextDims: 1 << 20 }); // no hash collisions in so few n-grams
    const hash = (s: string) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      return (h >>> 0) % (1 << 20);
    };
    const row = (r: number) =>
      new Map(
        Array.from({ length: g.attributeText.indptr[r + 1]! - g.attributeText.indptr[r]! }, (_, k) => [
          g.attributeText.indices[g.attributeText.indptr[r]! + k]!,
          g.attributeText.values[g.attributeText.indptr[r]! + k]!,
        ]),
      );
    // a: "height is 2", b: "height is 4", c: "born is 1990-07-01", A: "height" (a name without a value)
    expect([...f.coverage.attributes]).toEqual([1, 1, 1, 0, 1, 0]);
    for (const r of [0, 1, 2, 4]) expect([...row(r).values()].reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 5);
    for (const r of [3, 5]) expect(row(r).size).toBe(0);
    // over the six entities: "hei" is in three sentences (a, b, A): idf log(6/3); "s 2" only in a's: log(6)
    const a = row(0);
    expect(a.get(hash('hei'))! / a.get(hash('s 2'))!).toBeCloseTo(Math.log(6 / 3) / Math.log(6), 5);
    expect(row(2).get(hash('990'))).toBeGreaterThan(0); // the value is in the sentence as written
    expect(row(4).has(hash(' is'))).toBe(false); // A's sentence is its attribute's name alone
  });

  it('z-normalises numeric values per graph and attribute, parsing dates as decimal years', () => {
    expect(parseNumeric('1990-07-01')).toBeCloseTo(1990.5, 5);
    expect(parseNumeric('1982')).toBe(1982);
    expect(parseNumeric('-1.5e3')).toBe(-1500);
    expect(parseNumeric('Paris')).toBeNull();
    expect(f.numericNames).toEqual(['KG1:height', 'KG1:born']);
    expect([...f.numeric.raw]).toEqual([2, 4, parseNumeric('1990-07-01')]);
    expect([...f.numeric.value]).toEqual([-1, 1, 0]); // mean 3, std 1; a single value normalises to 0
    expect([...f.coverage.numeric]).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('builds name n-grams only from names files unless URI names are asked for', () => {
    expect([...f.coverage.names]).toEqual([1, 0, 0, 0, 0, 0]);
    // "^ab$": bigrams ^a ab b$ and trigrams ^ab ab$ -> 5 n-grams (hash collisions only merge)
    const nnz = f.names.values.reduce((a, b) => a + b, 0);
    expect(nnz).toBe(5);
    const withUris = buildFeatures(pair, { ...DEFAULT_SETTINGS, namesFromUris: true });
    expect([...withUris.coverage.names]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('draws a seeded split with a validation part carved out of training', () => {
    const demo = async () => buildFeatures(await readIdFormat(DEMO_DATASET, new InputReport()), DEFAULT_SETTINGS);
    return demo().then((d) => {
      expect(d.split.source).toBe('files');
      expect([d.split.train.length / 2, d.split.valid.length / 2, d.split.test.length / 2]).toEqual([54, 6, 240]);
      const all = new Set<string>();
      for (const part of [d.split.train, d.split.valid, d.split.test]) {
        for (let i = 0; i < part.length; i += 2) all.add(`${part[i]} ${part[i + 1]}`);
      }
      expect(all.size).toBe(300); // disjoint, nothing lost
      // no split files: seeded 20 / 80 at the given rate, reproducible by seed
      const noSplit = { ...pair, train: new Int32Array(0), test: new Int32Array(0) };
      const a = buildFeatures(noSplit, { ...DEFAULT_SETTINGS, split: { trainRate: 0.5, validFraction: 0, seed: 7 } });
      const b = buildFeatures(noSplit, { ...DEFAULT_SETTINGS, split: { trainRate: 0.5, validFraction: 0, seed: 7 } });
      expect(a.split.source).toBe('seeded');
      expect([...a.split.train]).toEqual([...b.split.train]);
      expect(a.split.train.length / 2).toBe(1);
    });
  });

  it('caches features in the project and rebuilds only when inputs or settings change', async () => {
    const project = join(tmp.path, 'project');
    await writeProject(project, pair, { format: PROJECT_FORMAT, version: 1, name: 't', createdAt: '', source: { path: '', format: 'ids' } });
    const first = await ensureFeatures(project, DEFAULT_SETTINGS);
    expect(first.cached).toBe(false);
    const again = await ensureFeatures(project, DEFAULT_SETTINGS);
    expect(again.cached).toBe(true);
    expect([...again.features.relationBow.values]).toEqual([...first.features.relationBow.values]);
    expect(again.features.numericStats).toEqual(first.features.numericStats);
    expect((await ensureFeatures(project, { ...DEFAULT_SETTINGS, relationTopK: 2 })).cached).toBe(false);
    // the graph changed: the old cache must not be used
    const changed = { ...pair, sides: [{ ...pair.sides[0], triples: Int32Array.from([0, 0, 1]) }, pair.sides[1]] as KgPair['sides'] };
    await writeProject(project, changed, { format: PROJECT_FORMAT, version: 1, name: 't', createdAt: '', source: { path: '', format: 'ids' } });
    const rebuilt = await ensureFeatures(project, { ...DEFAULT_SETTINGS, relationTopK: 2 });
    expect(rebuilt.cached).toBe(false);
    expect(rebuilt.features.graph.neighbours.length).toBe(4);
  });
});
