// The import job: reads a dataset folder, reports every problem with file and line, and writes a
// project folder atomically (into a scratch folder beside it, renamed at the end), so a failed or
// cancelled import leaves nothing half-written behind.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ImportParams } from '../../shared/contract';
import { MmeaError } from '../../shared/errors';
import { readDataset, SINGLE_GRAPH_FORMATS } from '../data/formats';
import { commitProject, isProject, PROJECT_FORMAT, PROJECT_VERSION, writeProject } from '../data/project';
import { InputReport } from '../data/report';
import { settingsWithSplit } from '../features/build';
import { ensureFeatures } from '../features/store';
import type { JobContext } from '../protocol';

/** Where an import job writes before it commits; main removes it if the engine process dies. */
export function importScratchPath(params: ImportParams, jobId: string): string {
  return `${resolve(params.project)}.partial-${jobId}`;
}

export interface ImportResult {
  project: string;
  warnings: number;
  report: ReturnType<InputReport['toJSON']>;
}

export async function importJob(params: ImportParams, ctx: JobContext): Promise<ImportResult> {
  const source = resolve(params.source);
  const target = resolve(params.project);
  if (isProject(target) && !params.replace) {
    throw new MmeaError('bad-input', `a project already exists at ${target}`);
  }
  const report = new InputReport();
  const pair = await readDataset(
    source,
    report,
    { format: params.format, names: params.names, fold: params.fold, kg2: params.kg2, wordVectors: params.wordVectors },
    (f, stage) => ctx.progress(0.6 * f, `reading ${stage}`),
    ctx.signal,
  );
  if (SINGLE_GRAPH_FORMATS.includes(pair.format as never)) {
    throw new MmeaError('bad-input', `${source}: holds a single graph (${pair.format} format); alignment needs two`);
  }
  if (report.hasErrors) {
    throw new MmeaError('bad-input', `${report.errorCount} problem(s) in ${source}:\n${report.format()}`, report.toJSON());
  }
  ctx.signal.throwIfAborted();
  const scratch = importScratchPath(params, ctx.jobId);
  try {
    ctx.progress(0.62, 'writing project');
    await writeProject(scratch, pair, {
      format: PROJECT_FORMAT,
      version: PROJECT_VERSION,
      name: params.name ?? pair.name,
      createdAt: new Date().toISOString(),
      source: { path: source, format: pair.format },
      ...(params.seedRate !== undefined && { seedRate: params.seedRate }),
    });
    ctx.signal.throwIfAborted();
    await ensureFeatures(scratch, settingsWithSplit({ seedRate: params.seedRate }), (f, stage) => ctx.progress(0.65 + 0.33 * f, `features: ${stage}`), pair);
    ctx.signal.throwIfAborted();
    await commitProject(scratch, target, params.replace ?? false);
  } catch (e) {
    await rm(scratch, { recursive: true, force: true });
    throw e;
  }
  ctx.progress(1, 'done');
  return { project: target, warnings: report.issues.length, report: report.toJSON() };
}
