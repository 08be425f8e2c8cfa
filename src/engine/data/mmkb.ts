// Reader for MMKB's original release (mniepert/mmkb): <KG>_EntityTriples.txt,
// <KG>_NumericalTriples.txt, <KG2>_SameAsLink.txt and <KG>_ImageIndex.txt, with KG1 = FB15K and
// KG2 = DB15K or YAGO15K. The lines look like N-Triples but are not valid N-Triples (bare Freebase
// mids such as /m/01m4kpp, a relative <SameAs>), so a conforming parser rejects them; the tolerant
// tokenizer below is ours for that reason.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KgPair } from './kg';
import { PairBuilder } from './builder';
import { eachLine } from './lines';
import type { InputReport } from './report';

const TERM = /<[^>]*>|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[\w-]+)?|\S+/g;

/** Splits a line into terms: <iri>, "literal"^^<type>, or a bare token; drops a final ".". */
export function terms(line: string): string[] {
  const t = line.match(TERM) ?? [];
  if (t.at(-1) === '.') t.pop();
  return t;
}

/** An entity or relation key: the IRI without angle brackets; bare tokens as they are. */
export function iri(term: string): string {
  return term.startsWith('<') && term.endsWith('>') ? term.slice(1, -1) : term;
}

/** A literal's lexical form: "1.5"^^<…double> -> 1.5; bare tokens as they are. */
export function literal(term: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(term);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : iri(term);
}

export function mmkbPairs(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('_SameAsLink.txt'))
        .map((f) => f.slice(0, -'_SameAsLink.txt'.length))
        .sort()
    : [];
}

export function looksLikeMmkb(dir: string): boolean {
  return mmkbPairs(dir).length > 0;
}

export async function readMmkb(dir: string, report: InputReport, options: { kg2?: string } = {}, progress: (f: number, stage: string) => void = () => {}, signal?: AbortSignal): Promise<KgPair> {
  const available = mmkbPairs(dir);
  const kg2 = options.kg2 ?? available[0]!;
  if (!available.includes(kg2)) report.error(`${kg2}_SameAsLink.txt`, null, `file is missing (found links for: ${available.join(', ')})`);
  else if (available.length > 1 && !options.kg2) {
    report.warning(`${kg2}_SameAsLink.txt`, null, `links for ${available.join(', ')} found; reading FB15K–${kg2} (choose with --kg2)`);
  }
  const b = new PairBuilder(`FB15K-${kg2}`, 'mmkb');
  const names = ['FB15K', kg2] as const;
  const each = async (file: string, f: (t: string[], line: number) => void) => {
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, text }) => {
        const line = text.trim();
        if (!line.startsWith('#')) f(terms(line), number);
      },
      { signal, textOnly: true },
    );
  };
  for (const side of [1, 2] as const) {
    const file = `${names[side - 1]}_EntityTriples.txt`;
    if (!existsSync(join(dir, file))) {
      report.warning(file, null, `file is missing: ${names[side - 1]} has no relation triples`);
      continue;
    }
    await each(file, (t, line) => {
      if (t.length !== 3) report.error(file, line, `expected "<head> <relation> <tail> ."`);
      else b.triple(side, iri(t[0]!), iri(t[1]!), iri(t[2]!));
    });
    progress(0.3 * side, `relation triples of ${names[side - 1]}`);
    signal?.throwIfAborted();
  }
  for (const side of [1, 2] as const) {
    const file = `${names[side - 1]}_NumericalTriples.txt`;
    if (!existsSync(join(dir, file))) continue;
    await each(file, (t, line) => {
      if (t.length !== 3) report.error(file, line, `expected "<entity> <attribute> <value>"`);
      else b.attribute(side, iri(t[0]!), iri(t[1]!), literal(t[2]!));
    });
  }
  progress(0.75, 'numerical triples');
  if (available.includes(kg2)) {
    const file = `${kg2}_SameAsLink.txt`;
    await each(file, (t, line) => {
      if (t.length !== 3) report.error(file, line, `expected "<FB15K entity> <SameAs> <${kg2} entity> ."`);
      else b.link(iri(t[0]!), iri(t[2]!));
    });
  }
  for (const side of [1, 2] as const) {
    const file = `${names[side - 1]}_ImageIndex.txt`;
    if (!existsSync(join(dir, file))) continue;
    await each(file, (t, line) => {
      if (t.length !== 2) report.error(file, line, 'expected "<entity>\\t<image id>"');
      else b.image(side, iri(t[0]!), t[1]!);
    });
  }
  progress(1, 'links and images');
  return b.build();
}
