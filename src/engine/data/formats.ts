// Every dataset format we read, detected by content (which files a folder holds), overridable.
import { requireFolder } from './folder';
import { MmeaError } from '../../shared/errors';
import { DATASET_FORMATS, type DatasetFormat } from '../../shared/types';
import { looksLikeIdFormat, readIdFormat } from './idFormat';
import { hasImages, readImages } from './images';
import type { KgPair } from './kg';
import { looksLikeMmkb, readMmkb } from './mmkb';
import { looksLikeOpenEA, readOpenEA } from './openea';
import { looksLikeOpenKE, readOpenKE } from './openke';
import type { InputReport } from './report';
import { looksLikeTsv, readTsv } from './tsv';
import { attachNameVectors } from './words';

export const FORMATS = DATASET_FORMATS;
export type { DatasetFormat };
/** Formats that hold a single graph: inspect reads them, import refuses them. */
export const SINGLE_GRAPH_FORMATS: readonly DatasetFormat[] = ['openke'];

export interface ReadOptions {
  format?: DatasetFormat;
  /** ids: DBP15K translated-name JSON */
  names?: string;
  /** openea: fold folder, e.g. 721_5fold/2 */
  fold?: string;
  /** mmkb: the second graph, DB15K or YAGO15K */
  kg2?: string;
  /** word vectors for names: 'wink' (the bundled package) or a vectors file (data/words.ts) */
  wordVectors?: string;
}

/** Most specific first: a folder can hold both an OpenEA release and converted id files. */
const DETECT: [DatasetFormat, (dir: string) => boolean][] = [
  ['tsv', looksLikeTsv],
  ['openea', looksLikeOpenEA],
  ['ids', looksLikeIdFormat],
  ['mmkb', looksLikeMmkb],
  ['openke', looksLikeOpenKE],
];

export function detectFormat(dir: string): DatasetFormat | null {
  return DETECT.find(([, test]) => test(dir))?.[0] ?? null;
}

export async function readDataset(dir: string, report: InputReport, options: ReadOptions = {}, progress: (f: number, stage: string) => void = () => {}, signal?: AbortSignal): Promise<KgPair> {
  requireFolder(dir, 'a dataset folder');
  const format = options.format ?? detectFormat(dir);
  if (!format) {
    throw new MmeaError('bad-input', `${dir}: no dataset found (looked for kg1/triples.tsv, rel_triples_1, ent_ids_1 or *_SameAsLink.txt; see docs/formats.md)`);
  }
  const looks = Object.fromEntries(DETECT)[format]!;
  if (!looks(dir)) throw new MmeaError('bad-input', `${dir}: does not hold a dataset in the ${format} format`);
  const pair = await readGraphs(dir, format, report, options, progress, signal);
  if (hasImages(dir)) await readImages(dir, pair, report);
  if (options.wordVectors) {
    progress(0.95, 'word vectors');
    await attachNameVectors(pair, options.wordVectors, report);
  }
  return pair;
}

function readGraphs(dir: string, format: DatasetFormat, report: InputReport, options: ReadOptions, progress: (f: number, stage: string) => void, signal?: AbortSignal): Promise<KgPair> {
  switch (format) {
    case 'ids':
      return readIdFormat(dir, report, progress, signal, { namesJson: options.names });
    case 'openea':
      return readOpenEA(dir, report, { fold: options.fold }, progress, signal);
    case 'mmkb':
      return readMmkb(dir, report, { kg2: options.kg2 }, progress, signal);
    case 'tsv':
      return readTsv(dir, report, progress, signal);
    case 'openke':
      return readOpenKE(dir, report);
  }
}
