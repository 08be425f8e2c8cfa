// Every modality's features for a pair of graphs (methods.md §0.3, §1.1 and what the other seed
// papers use), each with a coverage mask saying which entities have the modality. Rows are the
// entities of KG1 then KG2 in file order (`rowIds` maps a row to its global id).
import { tripleCsr, type TripleCsr } from '../data/csr';
import type { KgPair } from '../data/kg';
import { mulberry32, permutation } from '../random';
import { csrFromCoo, rowMask, type Csr } from './sparse';

export interface FeatureSettings {
  /** columns of the relation bag-of-words (most frequent relations over both graphs) */
  relationTopK: number;
  /** columns of the attribute bag-of-words */
  attributeTopK: number;
  /** hashed character n-gram columns for names */
  nameDims: number;
  /** n-gram sizes for names */
  nameGrams: number[];
  /** hashed character n-gram columns of each entity's attribute sentence ("a1 is v1, a2 is v2…":
   *  CLAMEA's attribute text, which the paper embeds with BERT, unavailable offline) */
  attributeTextDims: number;
  /** n-gram sizes of the attribute sentences */
  attributeTextGrams: number[];
  /** derive names from URIs when no names file gives one (DBpedia/YAGO URIs carry the name: a leak
   *  OpenEA's maintainers warn about, so off by default) */
  namesFromUris: boolean;
  /** missing image vectors: a per-dimension normal draw (MCLEA, MEAformer, HUMEA) or the mean of the
   *  graph neighbours' vectors (LoginMEA; one shared normal draw when no neighbour has one) */
  imageFill: 'normal' | 'neighbours';
  split: {
    /** used when the dataset has no split files: fraction of links for training */
    trainRate: number;
    /** fraction of the training pairs held out for validation (model selection) */
    validFraction: number;
    seed: number;
    /** use the seeded split even when the dataset has split files (`mmea train --rate`) */
    ignoreFiles?: boolean;
  };
}

export const DEFAULT_SETTINGS: FeatureSettings = {
  relationTopK: 1000,
  attributeTopK: 1000,
  nameDims: 4096,
  nameGrams: [2, 3],
  attributeTextDims: 4096,
  attributeTextGrams: [3],
  namesFromUris: false,
  imageFill: 'normal',
  split: { trainRate: 0.2, validFraction: 0.1, seed: 42 },
};

/** The default settings with a split chosen by the user: `rate` forces a seeded split with that
 *  training fraction (ignoring the dataset's split files); `seedRate` is the training fraction of a
 *  project whose data has no split files (its manifest's, chosen at import; the files win where
 *  they exist); `validFraction` is the hold-out. */
export function settingsWithSplit(split: { rate?: number; seedRate?: number; validFraction?: number }, namesFromUris = false): FeatureSettings {
  const d = DEFAULT_SETTINGS.split;
  // no split given: exactly DEFAULT_SETTINGS, so the feature cache's fingerprint (which hashes the
  // settings) matches the one import and open wrote, and nothing is rebuilt
  return {
    ...DEFAULT_SETTINGS,
    ...(namesFromUris && { namesFromUris }),
    split: { ...d, trainRate: split.rate ?? split.seedRate ?? d.trainRate, validFraction: split.validFraction ?? d.validFraction, ...(split.rate !== undefined && { ignoreFiles: true }) },
  };
}

/** Pairs a seeded split draws for training out of `links` known pairs. */
const seededTrain = (links: number, split: FeatureSettings['split']) => Math.floor(links * split.trainRate);
/** Training pairs held out for validation when the data names none. */
const carvedValid = (train: number, split: FeatureSettings['split']) => Math.round(train * split.validFraction);

/** How many pairs a split puts in training, validation and test: buildFeatures (which draws the
 *  pairs) uses the same two counts, so what a project shows before training is what training will
 *  use. `files`: the pair counts of the dataset's own split files (train 0: none). */
export function splitSizes(
  links: number,
  files: { train: number; valid: number; test: number },
  split: FeatureSettings['split'],
): { source: 'files' | 'seeded'; train: number; valid: number; test: number } {
  const fromFiles = files.train > 0 && !split.ignoreFiles;
  const train = fromFiles ? files.train : seededTrain(links, split);
  const test = fromFiles ? files.test : links - train;
  const valid = fromFiles && files.valid > 0 ? files.valid : carvedValid(train, split);
  return { source: fromFiles ? 'files' : 'seeded', train: fromFiles && files.valid > 0 ? train : train - valid, valid, test };
}

export interface Features {
  rows: number;
  /** rows of KG1 are 0..rows1-1, KG2 after */
  rows1: number;
  rowIds: Int32Array;
  /** structure: directed CSR over rows (both directions of every triple), relation id and
   *  direction (1 = the row is the head) per edge; no self-loops (encoders add their own) */
  graph: TripleCsr;
  relationBow: Csr;
  relationColumns: number[]; // relation id of each column
  attributeBow: Csr;
  attributeColumns: string[];
  /** each entity's attribute sentence ("name is value, …", values as written, without quotes or
   *  datatype) as hashed character n-grams, tf-idf weighted and L2-normalised per row */
  attributeText: Csr;
  /** numeric attribute values, z-normalised per (graph, attribute); `attribute` indexes numericNames */
  numeric: { row: Int32Array; attribute: Int32Array; value: Float32Array; raw: Float64Array };
  numericNames: string[]; // "KG1:name" / "KG2:name"
  numericStats: { mean: number; std: number; count: number }[];
  names: Csr;
  /** rows × dims image vectors, L2-normalised, missing ones filled (coverage.images says which are real) */
  image: { dims: number; matrix: Float32Array };
  /** rows × dims mean word vectors of the names, L2-normalised; zero rows where no word is known
   *  (coverage.words); dims 0 when the project has none (imported without word vectors) */
  words: { dims: number; matrix: Float32Array };
  coverage: {
    structure: Uint8Array;
    relations: Uint8Array;
    attributes: Uint8Array;
    numeric: Uint8Array;
    names: Uint8Array;
    images: Uint8Array;
    words: Uint8Array;
  };
  /** flat (row1, row2) pairs */
  split: { train: Int32Array; valid: Int32Array; test: Int32Array; source: 'files' | 'seeded' };
}

/** Per modality: how many entities of KG1 and of KG2 have it (the coverage masks counted). */
export function coverageCounts(f: Features): Record<keyof Features['coverage'], [number, number]> {
  const out = {} as Record<keyof Features['coverage'], [number, number]>;
  for (const [name, mask] of Object.entries(f.coverage) as [keyof Features['coverage'], Uint8Array][]) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < f.rows; i++) if (mask[i]) i < f.rows1 ? a++ : b++;
    out[name] = [a, b];
  }
  return out;
}

/** A number from a literal: plain numbers, and ISO dates / gYears as decimal years. */
export function parseNumeric(v: string): number | null {
  const s = v.trim().replace(/^"|"(\^\^.*)?$/g, '');
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  const d = /^(-?\d{1,4})-(\d{2})(?:-(\d{2}))?/.exec(s);
  if (d) return Number(d[1]) + (Number(d[2]) - 1) / 12 + (d[3] ? (Number(d[3]) - 1) / 365 : 0);
  return null;
}

/** Standard normal draws from a seeded uniform source (Box–Muller). */
function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function imageFeatures(
  pair: KgPair,
  rows: number,
  rowOf: Map<number, number>,
  graph: { indptr: Int32Array; neighbours: Int32Array },
  settings: FeatureSettings,
): { dims: number; matrix: Float32Array; mask: Uint8Array } {
  const mask = new Uint8Array(rows);
  const img = pair.images;
  if (!img || img.dims === 0 || img.entity.length === 0) return { dims: 0, matrix: new Float32Array(0), mask };
  const d = img.dims;
  const m = new Float32Array(rows * d);
  img.entity.forEach((id, k) => {
    const r = rowOf.get(id);
    if (r === undefined) return;
    m.set(img.vectors.subarray(k * d, (k + 1) * d), r * d);
    mask[r] = 1;
  });
  // per-dimension mean and population std of the real vectors
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (!mask[r]) continue;
    n++;
    for (let j = 0; j < d; j++) mean[j]! += m[r * d + j]!;
  }
  for (let j = 0; j < d; j++) mean[j]! /= n;
  for (let r = 0; r < rows; r++) {
    if (!mask[r]) continue;
    for (let j = 0; j < d; j++) sq[j]! += (m[r * d + j]! - mean[j]!) ** 2;
  }
  const std = Array.from(sq, (s) => Math.sqrt(s / n));
  const normal = gaussian(mulberry32(settings.split.seed + 1));
  const draw = (out: Float32Array, at: number) => {
    for (let j = 0; j < d; j++) out[at + j] = mean[j]! + std[j]! * normal();
  };
  let shared: Float32Array | null = null;
  for (let r = 0; r < rows; r++) {
    if (mask[r]) continue;
    if (settings.imageFill === 'neighbours') {
      let k = 0;
      for (let p = graph.indptr[r]!; p < graph.indptr[r + 1]!; p++) {
        const v = graph.neighbours[p]!;
        if (!mask[v]) continue;
        k++;
        for (let j = 0; j < d; j++) m[r * d + j]! += m[v * d + j]!;
      }
      if (k > 0) {
        for (let j = 0; j < d; j++) m[r * d + j]! /= k;
        continue;
      }
      if (!shared) {
        shared = new Float32Array(d);
        draw(shared, 0);
      }
      m.set(shared, r * d);
    } else {
      draw(m, r * d); // one independent draw per missing entity, in row order
    }
  }
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += m[r * d + j]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) m[r * d + j]! *= inv;
  }
  return { dims: d, matrix: m, mask };
}

function wordFeatures(pair: KgPair, rows: number, rowOf: Map<number, number>): { dims: number; matrix: Float32Array; mask: Uint8Array } {
  const mask = new Uint8Array(rows);
  const w = pair.nameVectors;
  if (!w || w.dims === 0) return { dims: 0, matrix: new Float32Array(0), mask };
  const d = w.dims;
  const m = new Float32Array(rows * d);
  w.entity.forEach((id, k) => {
    const r = rowOf.get(id);
    if (r === undefined) return;
    let s = 0;
    for (let j = 0; j < d; j++) s += w.vectors[k * d + j]! ** 2;
    if (s === 0) return;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < d; j++) m[r * d + j] = w.vectors[k * d + j]! * inv;
    mask[r] = 1;
  });
  return { dims: d, matrix: m, mask };
}

/** The k keys with the highest counts; ties keep first-seen order (a Map iterates in insertion order,
 *  and the sort is stable), as MCLEA's Counter + stable sort do. */
function topK<K>(counts: Map<K, number>, k: number): K[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([key]) => key);
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The literal of an attribute value as written: without quotes, a datatype or a language tag. */
const literal = (v: string) => v.trim().replace(/^"(.*)"(\^\^.*|@[\w-]+)?$/, '$1');

/** Each entity's attribute sentence "a1 is v1, a2 is v2…" (an attribute without a value: its name),
 *  lower-cased, as hashed character n-grams weighted by tf-idf over both graphs' entities and
 *  L2-normalised per row (features.attributeText). */
function attributeSentences(pair: KgPair, rows: number, settings: FeatureSettings): Csr {
  const parts: string[][] = Array.from({ length: rows }, () => []);
  let offset = 0;
  for (const s of pair.sides) {
    for (let k = 0; k < s.attrEntity.length; k++) {
      const v = s.attrValue[k];
      const name = s.attributeNames[s.attrName[k]!]!;
      parts[offset + s.attrEntity[k]!]!.push(v === null || v === undefined ? name : `${name} is ${literal(v)}`);
    }
    offset += s.ids.length;
  }
  const counts = parts.map((p) => {
    const c = new Map<number, number>();
    if (p.length === 0) return c;
    const t = p.join(', ').toLowerCase();
    for (const n of settings.attributeTextGrams) {
      for (let k = 0; k + n <= t.length; k++) {
        const col = fnv1a(t.slice(k, k + n)) % settings.attributeTextDims;
        c.set(col, (c.get(col) ?? 0) + 1);
      }
    }
    return c;
  });
  // document frequencies over every entity (one without attributes: an empty sentence): an n-gram
  // most sentences have (" is ", ", ") weighs little
  const df = new Float64Array(settings.attributeTextDims);
  for (const c of counts) for (const col of c.keys()) df[col]!++;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  counts.forEach((cs, row) => {
    const w = [...cs].map(([col, n]) => [col, n * Math.log(rows / df[col]!)] as const);
    const norm = Math.sqrt(w.reduce((s, [, x]) => s + x * x, 0));
    for (const [col, x] of w) {
      if (x === 0) continue;
      r.push(row);
      c.push(col);
      v.push(x / norm);
    }
  });
  return csrFromCoo(rows, settings.attributeTextDims, r, c, v);
}

/** The row of every entity id (the inverse of Features.rowIds). */
export function rowsById(rowIds: Int32Array): Map<number, number> {
  const rowOf = new Map<number, number>();
  rowIds.forEach((id, r) => rowOf.set(id, r));
  return rowOf;
}

export function buildFeatures(pair: KgPair, settings: FeatureSettings, progress: (f: number, stage: string) => void = () => {}): Features {
  const [s1, s2] = pair.sides;
  const rows1 = s1.ids.length;
  const rows = rows1 + s2.ids.length;
  const rowIds = Int32Array.from([...s1.ids, ...s2.ids]);
  const rowOf = rowsById(rowIds);

  // structure
  const graph = tripleCsr(
    rows,
    pair.sides.map((s) => s.triples),
    (id) => rowOf.get(id)!,
  );
  const { indptr } = graph;
  const structure = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) structure[i] = indptr[i + 1]! > indptr[i]! ? 1 : 0;
  progress(0.2, 'structure');

  // relation bag-of-words: raw counts of the top-K relations over both graphs (ties: first seen)
  const relCount = new Map<number, number>();
  for (const s of pair.sides) for (let k = 1; k < s.triples.length; k += 3) relCount.set(s.triples[k]!, (relCount.get(s.triples[k]!) ?? 0) + 1);
  const relationColumns = topK(relCount, settings.relationTopK);
  const relCol = new Map(relationColumns.map((r, c) => [r, c] as const));
  const rr: number[] = [];
  const rc: number[] = [];
  for (const s of pair.sides) {
    for (let k = 0; k < s.triples.length; k += 3) {
      const c = relCol.get(s.triples[k + 1]!);
      if (c === undefined) continue;
      rr.push(rowOf.get(s.triples[k]!)!, rowOf.get(s.triples[k + 2]!)!);
      rc.push(c, c);
    }
  }
  const relationBow = csrFromCoo(rows, relationColumns.length, rr, rc, 1);
  progress(0.4, 'relation bag-of-words');

  // attribute bag-of-words: binary, top-K attribute names over both graphs (stable: ties first seen)
  const attrCount = new Map<string, number>();
  for (const s of pair.sides) for (const a of s.attrName) attrCount.set(s.attributeNames[a]!, (attrCount.get(s.attributeNames[a]!) ?? 0) + 1);
  const attributeColumns = topK(attrCount, settings.attributeTopK);
  const attrCol = new Map(attributeColumns.map((a, c) => [a, c] as const));
  const ar: number[] = [];
  const ac: number[] = [];
  let offset = 0;
  for (const s of pair.sides) {
    const seen = new Set<string>();
    for (let k = 0; k < s.attrEntity.length; k++) {
      const c = attrCol.get(s.attributeNames[s.attrName[k]!]!);
      const r = offset + s.attrEntity[k]!;
      if (c === undefined || seen.has(`${r} ${c}`)) continue;
      seen.add(`${r} ${c}`);
      ar.push(r);
      ac.push(c);
    }
    offset += s.ids.length;
  }
  const attributeBow = csrFromCoo(rows, attributeColumns.length, ar, ac, 1);
  progress(0.55, 'attribute bag-of-words');

  // numeric values, z-normalised per (graph, attribute)
  const numericNames: string[] = [];
  const nr: number[] = [];
  const na: number[] = [];
  const nv: number[] = [];
  offset = 0;
  for (const s of pair.sides) {
    const ids = new Map<number, number>();
    for (let k = 0; k < s.attrEntity.length; k++) {
      const raw = s.attrValue[k];
      const x = raw === null || raw === undefined ? null : parseNumeric(raw);
      if (x === null || !Number.isFinite(x)) continue;
      let a = ids.get(s.attrName[k]!);
      if (a === undefined) {
        a = numericNames.length;
        ids.set(s.attrName[k]!, a);
        numericNames.push(`KG${s.side}:${s.attributeNames[s.attrName[k]!]}`);
      }
      nr.push(offset + s.attrEntity[k]!);
      na.push(a);
      nv.push(x);
    }
    offset += s.ids.length;
  }
  const sum = new Float64Array(numericNames.length);
  const sq = new Float64Array(numericNames.length);
  const cnt = new Int32Array(numericNames.length);
  nv.forEach((x, k) => {
    sum[na[k]!]! += x;
    cnt[na[k]!]!++;
  });
  const mean = Array.from(sum, (x, a) => x / cnt[a]!);
  nv.forEach((x, k) => (sq[na[k]!]! += (x - mean[na[k]!]!) ** 2));
  const numericStats = mean.map((m, a) => ({ mean: m, std: Math.sqrt(sq[a]! / cnt[a]!), count: cnt[a]! }));
  const numericValue = Float32Array.from(nv, (x, k) => {
    const st = numericStats[na[k]!]!;
    return st.std > 0 ? (x - st.mean) / st.std : 0;
  });
  const numericMask = new Uint8Array(rows);
  for (const r of nr) numericMask[r] = 1;
  progress(0.7, 'numeric attributes');

  // attribute sentences: hashed character n-grams, tf-idf, unit rows
  const attributeText = attributeSentences(pair, rows, settings);
  progress(0.75, 'attribute sentences');

  // names: hashed character n-gram counts of the lower-cased name with boundary marks
  const mr: number[] = [];
  const mc: number[] = [];
  offset = 0;
  for (const s of pair.sides) {
    s.names.forEach((name, i) => {
      if (!name || (s.nameFromFile[i] !== 1 && !settings.namesFromUris)) return;
      const t = `^${name.toLowerCase()}$`;
      for (const n of settings.nameGrams) {
        for (let k = 0; k + n <= t.length; k++) {
          mr.push(offset + i);
          mc.push(fnv1a(t.slice(k, k + n)) % settings.nameDims);
        }
      }
    });
    offset += s.ids.length;
  }
  const names = csrFromCoo(rows, settings.nameDims, mr, mc, 1);
  progress(0.8, 'names');

  const image = imageFeatures(pair, rows, rowOf, graph, settings);
  progress(0.9, 'images');

  // names' word vectors (computed at import, data/words.ts): placed by row and L2-normalised
  const words = wordFeatures(pair, rows, rowOf);

  // split: the dataset's own files, or a seeded one; validation always carved out of training
  const toRows = (flat: Int32Array) => Int32Array.from(flat, (id) => rowOf.get(id)!);
  let train: Int32Array;
  let test: Int32Array;
  let source: 'files' | 'seeded';
  const rand = mulberry32(settings.split.seed);
  if (pair.train.length > 0 && !settings.split.ignoreFiles) {
    train = toRows(pair.train);
    test = toRows(pair.test);
    source = 'files';
  } else {
    const links = toRows(pair.links);
    const perm = permutation(links.length / 2, rand);
    const nTrain = seededTrain(links.length / 2, settings.split);
    const pick = (from: number, to: number) => Int32Array.from(Array.from(perm.slice(from, to)).flatMap((p) => [links[2 * p]!, links[2 * p + 1]!]));
    train = pick(0, nTrain);
    test = pick(nTrain, perm.length);
    source = 'seeded';
  }
  let valid: Int32Array;
  if (source === 'files' && pair.valid && pair.valid.length > 0) {
    valid = toRows(pair.valid); // the dataset's own validation part (OpenEA folds, valid.tsv)
  } else {
    const trainPerm = permutation(train.length / 2, rand);
    const nValid = carvedValid(train.length / 2, settings.split);
    const t = train;
    const pairsAt = (idx: Int32Array) => Int32Array.from(Array.from(idx).flatMap((p) => [t[2 * p]!, t[2 * p + 1]!]));
    valid = pairsAt(trainPerm.slice(0, nValid));
    train = pairsAt(trainPerm.slice(nValid));
  }
  progress(1, 'split');

  return {
    rows,
    rows1,
    rowIds,
    graph,
    relationBow,
    relationColumns,
    attributeBow,
    attributeColumns,
    attributeText,
    numeric: { row: Int32Array.from(nr), attribute: Int32Array.from(na), value: numericValue, raw: Float64Array.from(nv) },
    numericNames,
    numericStats,
    names,
    image: { dims: image.dims, matrix: image.matrix },
    words: { dims: words.dims, matrix: words.matrix },
    coverage: {
      structure,
      relations: rowMask(relationBow),
      attributes: rowMask(attributeBow),
      numeric: numericMask,
      names: rowMask(names),
      images: image.mask,
      words: words.mask,
    },
    split: { train, valid, test, source },
  };
}
