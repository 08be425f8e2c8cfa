// What `mmea inspect` reports about a dataset folder: stable, documented JSON (docs/cli.md).
import { SINGLE_GRAPH_FORMATS } from './formats';
import type { KgPair, KgSide } from './kg';
import type { InputReport } from './report';

export interface GraphInspection {
  side: 1 | 2;
  entities: number;
  /** distinct relations used by the triples */
  relations: number;
  /** relations declared by the relation-name file(s) (rel_ids_k, or a shared rel_ids) */
  relationsDeclared: number;
  /** distinct (head, relation, tail) triples */
  triples: number;
  /** triple lines read, duplicates included */
  tripleLines: number;
  attributeNames: number;
  /** (entity, attribute) rows, with or without a value */
  attributeRows: number;
  /** (entity, attribute, value) rows with a value */
  attributeValues: number;
  /** entities with a name from a names file */
  names: number;
  images: number;
  /** entities whose name has a word vector (only with word vectors asked for) */
  nameVectors: number;
  coverage: { structure: number; attributes: number; names: number; images: number; nameVectors: number };
}

export interface Inspection {
  path: string;
  format: string;
  graphs: GraphInspection[];
  links: { total: number; train: number; valid: number; test: number };
  report: { errors: number; warnings: number; issues: ReturnType<InputReport['toJSON']>['issues']; suppressed: Record<string, number> };
}

function graph(s: KgSide): GraphInspection {
  const n = s.ids.length;
  const local = new Map(s.ids.map((id, i) => [id, i] as const));
  const inTriple = new Uint8Array(n);
  const rels = new Set<number>();
  for (let k = 0; k < s.triples.length; k += 3) {
    inTriple[local.get(s.triples[k]!)!] = 1;
    inTriple[local.get(s.triples[k + 2]!)!] = 1;
    rels.add(s.triples[k + 1]!);
  }
  const withAttr = new Set(s.attrEntity).size;
  const frac = (k: number) => (n === 0 ? 0 : Math.round((k / n) * 10000) / 10000);
  return {
    side: s.side,
    entities: n,
    relations: rels.size,
    relationsDeclared: s.relationsDeclared,
    triples: s.triples.length / 3,
    tripleLines: s.tripleLines,
    attributeNames: s.attributeNames.length,
    attributeRows: s.attrEntity.length,
    attributeValues: s.attrValue.filter((v) => v !== null).length,
    names: s.namedFromFile,
    images: s.images ?? 0,
    nameVectors: s.nameVectors ?? 0,
    coverage: {
      structure: frac(inTriple.reduce((a, b) => a + b, 0)),
      attributes: frac(withAttr),
      names: frac(s.namedFromFile),
      images: frac(s.images ?? 0),
      nameVectors: frac(s.nameVectors ?? 0),
    },
  };
}

export function inspectPair(path: string, pair: KgPair | null, format: string, report: InputReport): Inspection {
  const r = report.toJSON();
  const errors = report.errorCount;
  return {
    path,
    format,
    graphs: pair ? pair.sides.filter((s) => !SINGLE_GRAPH_FORMATS.includes(pair.format as never) || s.side === 1).map(graph) : [],
    links: pair ? { total: pair.links.length / 2, train: pair.train.length / 2, valid: (pair.valid?.length ?? 0) / 2, test: pair.test.length / 2 } : { total: 0, train: 0, valid: 0, test: 0 },
    report: { errors, warnings: report.issues.length - report.issues.filter((i) => i.severity === 'error').length, ...r },
  };
}
