// Exports of a curated alignment, each written atomically (a scratch file in the same folder,
// flushed, then renamed over the target): TSV and CSV (csv-stringify), JSON, owl:sameAs N-Triples
// (n3's writer), Alignment-API RDF/XML, SSSOM TSV with its YAML metadata header, and the id-pair
// seed file the training formats read (sup_ent_ids: "id1<TAB>id2"). Every row carries its
// provenance: curator, time, round, model score, note, and whether a person or the model's
// calibrated threshold accepted it.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { DataFactory, Writer } from 'n3';
import type { VerdictEntry } from '../../shared/verdicts';

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
  if (/^[a-z][a-z0-9+.-]*:[^\s<>"{}|\\^`]*$/i.test(u)) return u;
  return `urn:mmea:kg${side}:${encodeURIComponent(u)}`;
}

function rows(ms: Mapping[]): unknown[][] {
  return ms.map((m) => [m.source, m.target, m.sourceLabel, m.targetLabel, m.verdict, m.justification, m.score ?? '', m.curator, m.at, m.round, m.note ?? '']);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

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

/** SSSOM (https://mapping-commons.github.io/sssom/): the metadata block as `#`-prefixed YAML, then
 *  the TSV. Rejections are rows with predicate_modifier Not. */
function sssom(ms: Mapping[], meta: ExportMeta): string {
  const header = [
    `curie_map:`,
    `  owl: http://www.w3.org/2002/07/owl#`,
    `  semapv: https://w3id.org/semapv/vocab/`,
    `  skos: http://www.w3.org/2004/02/skos/core#`,
    `mapping_set_id: urn:mmea:alignment:${encodeURIComponent(meta.name)}:${meta.created}`,
    `mapping_set_description: ${JSON.stringify(`${meta.name}: alignment curated in MMEA Studio`)}`,
    `license: https://creativecommons.org/publicdomain/zero/1.0/`,
    `mapping_tool: ${JSON.stringify(meta.tool)}`,
    `mapping_date: ${meta.created.slice(0, 10)}`,
  ].map((l) => `# ${l}`);
  const cols = ['subject_id', 'subject_label', 'predicate_id', 'predicate_modifier', 'object_id', 'object_label', 'mapping_justification', 'author_label', 'mapping_date', 'confidence', 'comment'];
  const body = ms.map((m) => [
    iriOf(m.source, 1),
    m.sourceLabel,
    'owl:sameAs',
    m.verdict === 'reject' ? 'Not' : '',
    iriOf(m.target, 2),
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
      return ms.filter((m) => m.verdict === 'confirm').map((m) => `${m.sourceId}\t${m.targetId}\n`).join('');
  }
}

/** Writes `text` to `file` so a reader sees the old file or the whole new one, never a part. */
export function writeAtomic(file: string, text: string): void {
  const scratch = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  const fd = openSync(scratch, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(scratch, file);
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
