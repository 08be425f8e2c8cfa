// MMEA Studio's own format for people with their own graphs (docs/formats.md): tab-separated files,
// entities named by any string, no quoting (a field cannot hold a tab or a line break).
//   kg1/triples.tsv     head  relation  tail
//   kg1/attributes.tsv  entity  attribute  value      (optional)
//   kg1/names.tsv       entity  name                  (optional)
//   kg2/…               the same for the second graph
//   links.tsv           kg1-entity  kg2-entity        (known pairs)
//   train.tsv, valid.tsv, test.tsv                    (optional split, as links.tsv)
// Lines starting with # are comments. Parsed with csv-parse (BOM, CRLF, comments, line numbers).
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { KgPair } from './kg';
import { PairBuilder, type LinkPart } from './builder';
import { readText } from './lines';
import type { InputReport } from './report';

export function looksLikeTsv(dir: string): boolean {
  return existsSync(join(dir, 'kg1', 'triples.tsv')) && existsSync(join(dir, 'kg2', 'triples.tsv'));
}

async function rows(dir: string, file: string, report: InputReport): Promise<{ fields: string[]; line: number }[]> {
  const text = await readText(join(dir, file));
  try {
    const records = parse(text, {
      delimiter: '\t',
      quote: false,
      relax_column_count: true,
      skip_empty_lines: true,
      comment: '#',
      bom: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map((r) => ({ fields: r.record, line: r.info.lines }));
  } catch (e) {
    report.error(file, (e as { lines?: number }).lines ?? null, (e as Error).message);
    return [];
  }
}

export async function readTsv(
  dir: string,
  report: InputReport,
  progress: (f: number, stage: string) => void = () => {},
  signal?: AbortSignal,
): Promise<KgPair> {
  const b = new PairBuilder(basename(dir), 'tsv');
  for (const side of [1, 2] as const) {
    const file = `kg${side}/triples.tsv`;
    for (const { fields, line } of await rows(dir, file, report)) {
      if (fields.length !== 3 || fields.some((f) => f.length === 0)) report.error(file, line, 'expected "head<TAB>relation<TAB>tail"');
      else b.triple(side, fields[0]!, fields[1]!, fields[2]!);
    }
    const attrs = `kg${side}/attributes.tsv`;
    if (existsSync(join(dir, attrs))) {
      for (const { fields, line } of await rows(dir, attrs, report)) {
        if (fields.length < 2 || fields.length > 3 || fields[0]!.length === 0 || fields[1]!.length === 0) {
          report.error(attrs, line, 'expected "entity<TAB>attribute[<TAB>value]"');
        } else b.attribute(side, fields[0]!, fields[1]!, fields[2] ?? null);
      }
    }
    const names = `kg${side}/names.tsv`;
    if (existsSync(join(dir, names))) {
      for (const { fields, line } of await rows(dir, names, report)) {
        if (fields.length !== 2 || fields[1]!.trim().length === 0) report.error(names, line, 'expected "entity<TAB>name"');
        else b.setName(side, fields[0]!, fields[1]!);
      }
    }
    progress(0.4 * side, `KG${side}`);
    signal?.throwIfAborted();
  }
  const parts: [string, LinkPart][] = [
    ['links.tsv', 'all'],
    ['train.tsv', 'train'],
    ['valid.tsv', 'valid'],
    ['test.tsv', 'test'],
  ];
  for (const [file, part] of parts) {
    if (!existsSync(join(dir, file))) continue;
    for (const { fields, line } of await rows(dir, file, report)) {
      if (fields.length !== 2) {
        report.error(file, line, 'expected "kg1-entity<TAB>kg2-entity"');
        continue;
      }
      for (const side of [1, 2] as const) {
        if (!b.has(side, fields[side - 1]!)) report.warning(file, line, `${fields[side - 1]} is not an entity of KG${side}`);
      }
      b.link(fields[0]!, fields[1]!, part);
    }
  }
  progress(1, 'links');
  return b.build();
}
