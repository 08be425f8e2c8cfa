// Exports of a curated alignment, each written atomically (a scratch file in the same folder,
// flushed, then renamed over the target): TSV and CSV (csv-stringify), JSON, owl:sameAs N-Triples
// (n3's writer), Alignment-API RDF/XML, SSSOM TSV with its YAML metadata header, and the id-pair
// seed file the training formats read (sup_ent_ids: "id1<TAB>id2"). Every row carries its
// provenance: curator, time, round, model score, note, and whether a person or the model's
// calibrated threshold accepted it.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { DataFactory, Writer } from 'n3';
import { MmeaError } from '../../shared/errors';
import type { VerdictEntry } from '../../shared/verdicts';
import { writeAll, type WriteFn } from '../data/durable';

import { EXPORT_FORMATS, type ExportFormat } from '../../shared/exportFormats';
export { EXPORT_FORMATS, type ExportFormat };
export const EXPORT_FILES: Record<ExportFormat, string> = {
  tsv: 'alignment.tsv',
  csv: 'alignment.csv',
  json: 'alignment.json',
  nt: 'alignment.nt',
  rdf: 'alignment.rdf',
  sssom: 'alignment.sssom.tsv',
  seeds: 'sup_ent_ids',
};

export interface Mapping {
  /** URIs as the project stores them, and entity ids */
  source: string;
  target: string;
  sourceId: number;
  targetId: number;
  sourceLabel: string;
  targetLabel: string;
  verdict: 'confirm' | 'reject';
  /** manual: a curator's verdict; threshold: the model's first candidate above the calibrated threshold */
  justification: 'manual' | 'threshold';
  curator: string;
  at: string;
  round: number;
  score: number | null;
  note: string | null;
}

export interface ExportMeta {
  /** the project's name */
  name: string;
  created: string;
  tool: string;
}

const OWL_SAME_AS = 'http://www.w3.org/2002/07/owl#sameAs';
const COLUMNS = ['source', 'target', 'source_label', 'target_label', 'verdict', 'justification', 'score', 'curator', 'time', 'round', 'note'] as const;

/** An absolute IRI for a stored URI: itself when it is one (angle brackets dropped), else minted
 *  under urn:mmea:kg<side>: with the URI percent-encoded (Freebase mids like /m/0gtx63s). */
export function iriOf(uri: string, side: 1 | 2): string {
  const u = uri.startsWith('<') && uri.endsWith('>') ? uri.slice(1, -1) : uri;
  // an IRI as RFC 3987 / N-Triples' IRIREF allow it (no spaces, controls, or <>"{}|\^`)
  // eslint-disable-next-line no-control-regex -- control characters are what this excludes
  if (/^[a-z][a-z0-9+.-]*:[^\x00-\x20<>"{}|\\^`\x7f]*$/i.test(u)) return u;
  return `urn:mmea:kg${side}:${encodeURIComponent(u)}`;
}

function rows(ms: Mapping[]): unknown[][] {
  return ms.map((m) => [m.source, m.target, m.sourceLabel, m.targetLabel, m.verdict, m.justification, m.score ?? '', m.curator, m.at, m.round, m.note ?? '']);
}

// characters XML 1.0 does not allow at all become U+FFFD, then the five markup characters are escaped
const xml = (s: string) =>
  s
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

function alignmentXml(ms: Mapping[], meta: ExportMeta): string {
  const cells = ms
    .filter((m) => m.verdict === 'confirm')
    .map(
      (m) => `    <map>
      <Cell>
        <entity1 rdf:resource="${xml(iriOf(m.source, 1))}"/>
        <entity2 rdf:resource="${xml(iriOf(m.target, 2))}"/>
        <relation>=</relation>
        <measure rdf:datatype="http://www.w3.org/2001/XMLSchema#float">${m.justification === 'manual' ? 1 : Math.max(0, Math.min(1, m.score ?? 0))}</measure>
      </Cell>
    </map>`,
    );
  return `<?xml version="1.0" encoding="utf-8" standalone="no"?>
<rdf:RDF xmlns="http://knowledgeweb.semanticweb.org/heterogeneity/alignment#"
         xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:xsd="http://www.w3.org/2001/XMLSchema#">
  <Alignment>
    <xml>yes</xml>
    <level>0</level>
    <type>11</type>
    <onto1><Ontology rdf:about="urn:mmea:kg1"><location>${xml(meta.name)} (graph 1)</location></Ontology></onto1>
    <onto2><Ontology rdf:about="urn:mmea:kg2"><location>${xml(meta.name)} (graph 2)</location></Ontology></onto2>
${cells.join('\n')}
  </Alignment>
</rdf:RDF>
`;
}

function nTriples(ms: Mapping[]): string {
  const { namedNode, quad } = DataFactory;
  const w = new Writer({ format: 'N-Triples' });
  let out = '';
  for (const m of ms) if (m.verdict === 'confirm') w.addQuad(quad(namedNode(iriOf(m.source, 1)), namedNode(OWL_SAME_AS), namedNode(iriOf(m.target, 2))));
  w.end((err, text) => {
    if (err) throw err;
    out = text;
  });
  return out;
}

/** Well-known namespaces' usual prefixes; others get ns1, ns2, … in order of first use. */
const KNOWN_PREFIXES: Record<string, string> = {
  'http://dbpedia.org/resource/': 'dbr',
  'http://dbpedia.org/ontology/': 'dbo',
  'http://www.wikidata.org/entity/': 'wd',
  'http://yago-knowledge.org/resource/': 'yago',
  'urn:mmea:kg1:': 'kg1',
  'urn:mmea:kg2:': 'kg2',
};
const FIXED_PREFIXES: [string, string][] = [
  ['owl', 'http://www.w3.org/2002/07/owl#'],
  ['semapv', 'https://w3id.org/semapv/vocab/'],
  ['skos', 'http://www.w3.org/2004/02/skos/core#'],
];

/** CURIEs for IRIs (SSSOM identifiers are CURIEs): a namespace is the IRI up to its last '/', '#'
 *  or (for a URN) ':'; the map declares every prefix used. */
export function curies(iris: Iterable<string>): { prefixes: [string, string][]; curie(iri: string): string } {
  const nsOf = (iri: string) => {
    const cut = Math.max(iri.lastIndexOf('/'), iri.lastIndexOf('#'), iri.startsWith('urn:') ? iri.lastIndexOf(':') : -1);
    return cut >= 0 && cut < iri.length - 1 ? iri.slice(0, cut + 1) : iri.slice(0, iri.indexOf(':') + 1);
  };
  const prefixOf = new Map<string, string>();
  const used = new Set(FIXED_PREFIXES.map(([p]) => p));
  for (const iri of iris) {
    const ns = nsOf(iri);
    if (prefixOf.has(ns)) continue;
    let p = KNOWN_PREFIXES[ns] ?? '';
    for (let k = prefixOf.size + 1; !p || used.has(p); k++) p = `ns${k}`;
    used.add(p);
    prefixOf.set(ns, p);
  }
  return {
    prefixes: [...FIXED_PREFIXES, ...[...prefixOf].map(([ns, p]): [string, string] => [p, ns])],
    curie: (iri) => `${prefixOf.get(nsOf(iri))}:${iri.slice(nsOf(iri).length)}`,
  };
}

/** SSSOM (https://mapping-commons.github.io/sssom/): the metadata block as `#`-prefixed YAML, then
 *  the TSV; identifiers are CURIEs, every prefix declared in the curie_map. Rejections are rows
 *  with predicate_modifier Not. */
function sssom(ms: Mapping[], meta: ExportMeta): string {
  const c = curies(ms.flatMap((m) => [iriOf(m.source, 1), iriOf(m.target, 2)]));
  const header = [
    `curie_map:`,
    ...c.prefixes.map(([p, ns]) => `  ${p}: ${JSON.stringify(ns)}`),
    `mapping_set_id: urn:mmea:alignment:${encodeURIComponent(meta.name)}:${meta.created}`,
    `mapping_set_description: ${JSON.stringify(`${meta.name}: alignment curated in MMEA Studio`)}`,
    `license: https://creativecommons.org/publicdomain/zero/1.0/`,
    `mapping_tool: ${JSON.stringify(meta.tool)}`,
    `mapping_date: ${meta.created.slice(0, 10)}`,
  ].map((l) => `# ${l}`);
  const cols = ['subject_id', 'subject_label', 'predicate_id', 'predicate_modifier', 'object_id', 'object_label', 'mapping_justification', 'author_label', 'mapping_date', 'confidence', 'comment'];
  const body = ms.map((m) => [
    c.curie(iriOf(m.source, 1)),
    m.sourceLabel,
    'owl:sameAs',
    m.verdict === 'reject' ? 'Not' : '',
    c.curie(iriOf(m.target, 2)),
    m.targetLabel,
    m.justification === 'manual' ? 'semapv:ManualMappingCuration' : 'semapv:SemanticSimilarityThresholdMatching',
    m.curator,
    m.at.slice(0, 10),
    m.justification === 'manual' ? 1 : Math.max(0, Math.min(1, m.score ?? 0)),
    [m.note, `round ${m.round}`, m.score === null ? '' : `model score ${m.score}`].filter(Boolean).join('; '),
  ]);
  return header.join('\n') + '\n' + stringify([cols, ...body], { delimiter: '\t', quoted_match: /[\t\n"]/ });
}

/** One export's text. */
export function render(format: ExportFormat, ms: Mapping[], meta: ExportMeta): string {
  switch (format) {
    case 'tsv':
      return stringify([[...COLUMNS], ...rows(ms)], { delimiter: '\t', quoted_match: /[\t\n"]/ });
    case 'csv':
      return stringify([[...COLUMNS], ...rows(ms)]);
    case 'json':
      return JSON.stringify({ format: 'mmea-studio-alignment', version: 1, ...meta, mappings: ms }, null, 1) + '\n';
    case 'nt':
      return nTriples(ms);
    case 'rdf':
      return alignmentXml(ms, meta);
    case 'sssom':
      return sssom(ms, meta);
    case 'seeds':
      return ms
        .filter((m) => m.verdict === 'confirm')
        .map((m) => `${m.sourceId}\t${m.targetId}\n`)
        .join('');
  }
}

/** Writes `text` to `file` so a reader sees the old file or the whole new one, never a part: a
 *  scratch file written whole (a full disk's partial writes are carried on or fail), flushed, then
 *  renamed over it. On failure the scratch file is removed and the error says so (code 'io'). */
export function writeAtomic(file: string, text: string, write: WriteFn = writeSync): void {
  const scratch = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  try {
    const fd = openSync(scratch, 'w');
    try {
      writeAll(fd, Buffer.from(text, 'utf8'), write);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(scratch, file);
  } catch (e) {
    rmSync(scratch, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new MmeaError('io', `${file}: could not be written (${err.code ?? 'error'}: ${err.message}); the partial file was removed`);
  }
}

/** Writes the given formats into `dir` under their EXPORT_FILES names; returns the paths. */
export function writeExports(dir: string, formats: readonly ExportFormat[], ms: Mapping[], meta: ExportMeta): string[] {
  return formats.map((f) => {
    const file = join(dir, EXPORT_FILES[f]);
    writeAtomic(file, render(f, ms, meta));
    return file;
  });
}

/** The exportable rows of a journal's standing verdicts: confirmations, and rejections on request. */
export function mappingsOf(
  project: { idOfUri(side: 1 | 2, uri: string): number | undefined; nameOf(id: number): { uri: string; label: string } },
  verdicts: Iterable<VerdictEntry>,
  withRejections: boolean,
): Mapping[] {
  const out: Mapping[] = [];
  for (const v of verdicts) {
    if (v.target === null || !(v.verdict === 'confirm' || (withRejections && v.verdict === 'reject'))) continue;
    const sourceId = project.idOfUri(1, v.source);
    const targetId = project.idOfUri(2, v.target);
    if (sourceId === undefined || targetId === undefined) continue; // the journal names an entity the project lost
    out.push({
      source: v.source,
      target: v.target,
      sourceId,
      targetId,
      sourceLabel: project.nameOf(sourceId).label,
      targetLabel: project.nameOf(targetId).label,
      verdict: v.verdict,
      justification: v.justification,
      curator: v.curator,
      at: v.at,
      round: v.round,
      score: v.score,
      note: v.note,
    });
  }
  return out.sort((a, b) => a.sourceId - b.sourceId || a.targetId - b.targetId);
}
