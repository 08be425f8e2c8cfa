// Every long job the engine runs, by kind. Main validates the parameters against the contract
// before a job starts; here they arrive already parsed.
import type { ImportParams } from '../../shared/contract';
import type { JobKind } from '../../shared/types';
import type { JobContext } from '../protocol';
import { importJob, importScratchPath } from './import';

export interface JobDefinition<P> {
  run(params: P, ctx: JobContext): Promise<unknown>;
  /** Paths the job may leave behind if its process is killed; removed by main after a hard stop. */
  scratchPaths(params: P, jobId: string): string[];
}

export const JOBS: { [K in JobKind]: JobDefinition<K extends 'import' ? ImportParams : never> } = {
  import: { run: importJob, scratchPaths: (p, id) => [importScratchPath(p, id)] },
};
