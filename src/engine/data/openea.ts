// Reader for OpenEA's release layout: rel_triples_1/2 and attr_triples_1/2 (tab-separated URIs and
// literals), ent_links, and optional fold folders (e.g. 721_5fold/1/{train,valid,test}_links).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { KgPair } from './kg';
import { PairBuilder, type LinkPart } from './builder';
import { eachLine } from './lines';
import type { InputReport } from './report';

export function looksLikeOpenEA(dir: string): boolean {
  return existsSync(join(dir, 'rel_triples_1')) && existsSync(join(dir, 'rel_triples_2'));
}

/** Fold folders holding train_links, in name order (721_5fold/1, 721_5fold/2, …). */
export function openEAFolds(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 2) return;
    for (const e of readdirSync(d).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))) {
      const p = join(d, e);
      if (!statSync(p).isDirectory()) continue;
      if (existsSync(join(p, 'train_links'))) found.push(relative(dir, p));
      else walk(p, depth + 1);
    }
  };
  walk(dir, 0);
  return found;
}

export async function readOpenEA(dir: string, report: InputReport, options: { fold?: string } = {}, progress: (f: number, stage: string) => void = () => {}, signal?: AbortSignal): Promise<KgPair> {
  const b = new PairBuilder(basename(dir), 'openea');
  for (const side of [1, 2] as const) {
    const file = `rel_triples_${side}`;
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        if (fields.length !== 3 || fields.some((f) => f.length === 0)) report.error(file, number, 'expected "head\\trelation\\ttail"');
        else b.triple(side, fields[0]!, fields[1]!, fields[2]!);
      },
      { signal },
    );
    progress(0.3 * side, `relation triples of KG${side}`);
    signal?.throwIfAborted();
  }
  for (const side of [1, 2] as const) {
    const file = `attr_triples_${side}`;
    if (!existsSync(join(dir, file))) continue;
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        if (fields.length < 3 || fields[0]!.length === 0) {
          report.error(file, number, 'expected "entity\\tattribute\\tvalue"');
          return;
        }
        if (!b.has(side, fields[0]!)) report.warning(file, number, `entity ${fields[0]} has no relation triple`);
        b.attribute(side, fields[0]!, fields[1]!, fields.slice(2).join('\t'));
      },
      { signal },
    );
  }
  progress(0.75, 'attributes');
  const readLinks = async (file: string, part: LinkPart) => {
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        if (fields.length !== 2) {
          report.error(file, number, 'expected "kg1-entity\\tkg2-entity"');
          return;
        }
        for (const side of [1, 2] as const) {
          if (!b.has(side, fields[side - 1]!)) report.warning(file, number, `entity ${fields[side - 1]} is not in KG${side}'s triples`);
        }
        b.link(fields[0]!, fields[1]!, part);
      },
      { signal },
    );
  };
  if (existsSync(join(dir, 'ent_links'))) await readLinks('ent_links', 'all');
  else report.warning('ent_links', null, 'file is missing: no links');
  const folds = openEAFolds(dir);
  const fold = options.fold ?? folds[0];
  if (fold !== undefined) {
    if (!folds.includes(fold)) report.error(fold, null, `no fold folder ${fold} (found: ${folds.join(', ') || 'none'})`);
    else
      for (const part of ['train', 'valid', 'test'] as const) {
        const f = join(fold, `${part}_links`);
        if (existsSync(join(dir, f))) await readLinks(f, part);
      }
  }
  progress(1, 'links');
  return b.build();
}
