// `mmea verdicts --project <dir> [--curator NAME]`: records verdicts read from standard input, one
// JSON object per line ({"source": KG1 URI, "target": KG2 URI | null, "verdict": "confirm" | "reject"
// | "none" | "skip", "note"?, "score"?, "round"?}, or {"op": "clear", "source", "target"} to withdraw
// one), into the project's verdict journal (engine/curation/journal.ts). Each recorded verdict is
// acknowledged on standard output ({"ack": seq}) only once it is on disk; a bad line gets an error
// on standard error naming `stdin:LINE` and the reading goes on. For scripts and other tools, and the
// journal's kill test.
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Journal, unknownEntity, VerdictInput } from '../engine/curation/journal';
import { Project } from '../engine/data/project';
import { UsageError } from './train';

export const VERDICTS_USAGE = `  verdicts --project <dir> [--curator NAME] [--json]
                                 record verdicts (JSON lines on standard input) in the project's
                                 journal; each is acknowledged ({"ack": seq}) once on disk`;

export async function verdictsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { project: { type: 'string' }, curator: { type: 'string', default: '' }, json: { type: 'boolean', default: false } },
  });
  if (!values.project) throw new UsageError('verdicts: --project <dir> is required');
  const dir = resolve(values.project);
  const project = await Project.open(dir);
  const { journal, warnings } = Journal.open(dir);
  for (const w of warnings) process.stderr.write(`mmea: warning: ${w}\n`);
  let lineNo = 0;
  let recorded = 0;
  let rejected = 0;
  try {
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      lineNo++;
      if (line.trim() === '') continue;
      try {
        const v = VerdictInput.parse({ curator: values.curator, ...(JSON.parse(line) as object) });
        const unknown = unknownEntity(project, v.source, v.target);
        if (unknown) throw new Error(unknown);
        const e = journal.append(v);
        process.stdout.write(JSON.stringify({ ack: e.seq }) + '\n');
        recorded++;
      } catch (e) {
        rejected++;
        const err = e as Error & { issues?: { path: PropertyKey[]; message: string }[] };
        const why = err.issues ? err.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ') : err.message;
        process.stderr.write(`mmea: stdin:${lineNo}: ${why}; not recorded\n`);
      }
    }
  } finally {
    journal.close();
  }
  const summary = { recorded, rejected, confirmed: journal.confirmed().length, journal: journal.path };
  if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stderr.write(`${recorded} verdict(s) recorded, ${rejected} line(s) rejected; ${summary.confirmed} confirmed pair(s) in ${journal.path}\n`);
  return rejected > 0 ? 1 : 0;
}
