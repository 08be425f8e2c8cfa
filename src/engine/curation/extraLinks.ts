// Pairs a dataset's reference alignment misses, given to `mmea simulate --extra-links FILE` so its
// oracle answers them as a curator would: confirmed, and counted among the pairs to find. DBP15K's
// links hold only the pairs its authors took from DBpedia's inter-language links; over a thousand of
// zh_en's "no counterpart" sources have their counterpart in the other graph all the same (Athens,
// Canberra, Johnny Depp: bench/reference-gaps.mjs lists them and docs/benchmarks.md records a
// reading), and an oracle that calls them wrong charges a curator's right confirmations as errors.
// The file: one pair a line, "graph-1 URI<TAB>graph-2 URI"; lines starting with # are comments.
import { basename } from 'node:path';
import { MmeaError } from '../../shared/errors';
import { eachLine } from '../data/lines';
import { InputReport } from '../data/report';

export interface UriPair {
  source: string;
  target: string;
  /** its line in the file, for the messages */
  line: number;
}

export async function readUriPairs(path: string): Promise<UriPair[]> {
  const file = basename(path);
  const report = new InputReport();
  const out: UriPair[] = [];
  await eachLine(path, file, report, ({ number, fields, text }) => {
    if (text.startsWith('#')) return;
    if (fields.length !== 2 || !fields[0] || !fields[1]) report.error(file, number, 'expected "graph-1 URI<TAB>graph-2 URI"');
    else out.push({ source: fields[0], target: fields[1], line: number });
  });
  if (report.hasErrors) throw new MmeaError('bad-input', `${report.errorCount} problem(s) in ${path}:\n${report.format()}`, report.toJSON());
  return out;
}

/** What became of the given pairs: added to the truth, or passed over (an entity the project does
 *  not have, on the wrong side, already a seed's or a link's). */
export interface ExtraLinksReport {
  given: number;
  added: number;
  /** the first few passed over, with their line and why */
  passedOver: string[];
}

/**
 * Adds `pairs` to `truth` (source row → target row) where both ends are free: a source of graph 1
 * without a seed or a link, a target of graph 2 nobody's. `rowOf(side, uri)`: the row of graph
 * `side`'s entity with that URI, or undefined (the project's own URI index: Project.idOfUri).
 */
export function addExtraLinks(pairs: UriPair[], truth: Map<number, number>, taken: ReadonlySet<number>, rowOf: (side: 1 | 2, uri: string) => number | undefined): ExtraLinksReport {
  const targets = new Set([...truth.values(), ...taken]);
  const passedOver: string[] = [];
  let added = 0;
  const pass = (p: UriPair, why: string) => {
    if (passedOver.length < 10) passedOver.push(`line ${p.line}: ${why}`);
  };
  const inNeither = (uri: string) => rowOf(1, uri) === undefined && rowOf(2, uri) === undefined;
  for (const p of pairs) {
    const s = rowOf(1, p.source);
    const t = rowOf(2, p.target);
    if (s === undefined || t === undefined) {
      // not on its side: an entity of the other graph, or of neither
      const unknown = [p.source, p.target].find(inNeither);
      pass(p, unknown ? `${unknown} is not an entity of the project` : 'the first URI must be of graph 1, the second of graph 2');
    } else if (truth.has(s) || taken.has(s)) pass(p, `${p.source} already has a seed or a link`);
    else if (targets.has(t)) pass(p, `${p.target} already has a seed or a link`);
    else {
      truth.set(s, t);
      targets.add(t);
      added++;
    }
  }
  return { given: pairs.length, added, passedOver };
}
