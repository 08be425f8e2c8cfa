// Reader for OpenKE's single-graph layout (entity2id.txt, relation2id.txt, train2id.txt,
// valid2id.txt, test2id.txt; a count on the first line, triples as "head tail relation"). It is a
// knowledge-graph-completion format with one graph: `inspect` reports it as KG1 alone, `import`
// refuses it (alignment needs two graphs).
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PairBuilder } from './builder';
import type { KgPair } from './kg';
import { eachLine, parseId } from './lines';
import type { InputReport } from './report';

export function looksLikeOpenKE(dir: string): boolean {
  return existsSync(join(dir, 'entity2id.txt')) && existsSync(join(dir, 'relation2id.txt'));
}

/** "name id" rows after a count line; the name is everything before the last field. */
async function table(dir: string, file: string, report: InputReport): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let declared: number | null = null;
  await eachLine(
    join(dir, file),
    file,
    report,
    ({ number, fields }) => {
      if (number === 1 && fields.length === 1) {
        declared = parseId(fields[0]);
        return;
      }
      const id = parseId(fields.at(-1));
      if (id === null || fields.length < 2) report.error(file, number, 'expected "<name> <integer id>"');
      else out.set(id, fields.slice(0, -1).join(' '));
    },
    { ws: true },
  );
  if (declared !== null && declared !== out.size) report.warning(file, 1, `the first line says ${declared} rows, the file has ${out.size}`);
  return out;
}

export async function readOpenKE(dir: string, report: InputReport): Promise<KgPair> {
  const b = new PairBuilder(basename(dir), 'openke');
  const entities = await table(dir, 'entity2id.txt', report);
  const relations = await table(dir, 'relation2id.txt', report);
  for (const id of [...entities.keys()].sort((x, y) => x - y)) b.entity(1, entities.get(id)!);
  let any = false;
  for (const file of ['train2id.txt', 'valid2id.txt', 'test2id.txt']) {
    if (!existsSync(join(dir, file))) continue;
    any = true;
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        if (number === 1 && fields.length === 1) return;
        const [h, t, r] = fields.map(parseId);
        const hn = h == null ? undefined : entities.get(h);
        const tn = t == null ? undefined : entities.get(t);
        const rn = r == null ? undefined : relations.get(r);
        if (fields.length !== 3 || hn === undefined || tn === undefined || rn === undefined) {
          report.error(file, number, 'expected "head tail relation" ids declared in entity2id.txt and relation2id.txt');
          return;
        }
        b.triple(1, hn, rn, tn);
      },
      { ws: true },
    );
  }
  if (!any) report.warning('train2id.txt', null, 'no triple file (train2id.txt, valid2id.txt, test2id.txt)');
  const pair = b.build();
  pair.sides[0].relationsDeclared = relations.size;
  return pair;
}
