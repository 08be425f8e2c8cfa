// MMEA Studio's own format for people with their own graphs (docs/formats.md): tab-separated files,
// entities named by any string, no quoting (a field cannot hold a tab or a line break).
//   kg1/triples.tsv     head  relation  tail
//   kg1/attributes.tsv  entity  attribute  value      (optional)
//   kg1/names.tsv       entity  name                  (optional)
//   kg2/…               the same for the second graph
//   links.tsv           kg1-entity  kg2-entity        (known pairs)
//   train.tsv, valid.tsv, test.tsv                    (optional split, as links.tsv)
// Lines starting with # are comments; a # inside a line is data (URIs have fragments). A BOM and
// CRLF line ends are accepted.
import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { KgPair } from './kg';
import { PairBuilder, type LinkPart } from './builder';
import { eachLine } from './lines';
import type { InputReport } from './report';

export function looksLikeTsv(dir: string): boolean {
  return existsSync(join(dir, 'kg1', 'triples.tsv')) && existsSync(join(dir, 'kg2', 'triples.tsv'));
}

/** Calls `onRow` for each line of `file` that is not a comment. Our own line reader (lines.ts), not
 *  csv-parse: its `comment` option also cuts a line at a '#' inside it, and entity names here are
 *  often URIs with a fragment (http://…/onto#Paris), which it truncated silently. */
async function eachRow(dir: string, file: string, report: InputReport, onRow: (fields: string[], line: number) => void, signal?: AbortSignal): Promise<void> {
  await eachLine(
    join(dir, file),
    file,
    report,
    ({ number, fields, text }) => {
      if (!text.startsWith('#')) onRow(fields, number);
    },
    { signal },
  );
}

export async function readTsv(dir: string, report: InputReport, progress: (f: number, stage: string) => void = () => {}, signal?: AbortSignal): Promise<KgPair> {
  const b = new PairBuilder(basename(dir), 'tsv');
  for (const side of [1, 2] as const) {
    const file = `kg${side}/triples.tsv`;
    await eachRow(
      dir,
      file,
      report,
      (fields, line) => {
        if (fields.length !== 3 || fields.some((f) => f.length === 0)) report.error(file, line, 'expected "head<TAB>relation<TAB>tail"');
        else b.triple(side, fields[0]!, fields[1]!, fields[2]!);
      },
      signal,
    );
    const attrs = `kg${side}/attributes.tsv`;
    if (existsSync(join(dir, attrs))) {
      await eachRow(
        dir,
        attrs,
        report,
        (fields, line) => {
          if (fields.length < 2 || fields.length > 3 || fields[0]!.length === 0 || fields[1]!.length === 0) {
            report.error(attrs, line, 'expected "entity<TAB>attribute[<TAB>value]"');
          } else b.attribute(side, fields[0]!, fields[1]!, fields[2] ?? null);
        },
        signal,
      );
    }
    const names = `kg${side}/names.tsv`;
    if (existsSync(join(dir, names))) {
      await eachRow(
        dir,
        names,
        report,
        (fields, line) => {
          if (fields.length !== 2 || fields[1]!.trim().length === 0) report.error(names, line, 'expected "entity<TAB>name"');
          else b.setName(side, fields[0]!, fields[1]!);
        },
        signal,
      );
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
    await eachRow(
      dir,
      file,
      report,
      (fields, line) => {
        if (fields.length !== 2) {
          report.error(file, line, 'expected "kg1-entity<TAB>kg2-entity"');
          return;
        }
        for (const side of [1, 2] as const) {
          if (!b.has(side, fields[side - 1]!)) report.warning(file, line, `${fields[side - 1]} is not an entity of KG${side}`);
        }
        b.link(fields[0]!, fields[1]!, part);
      },
      signal,
    );
  }
  progress(1, 'links');
  return b.build();
}
