// Every long job the engine runs, by kind. Main validates the parameters against the contract
// before a job starts; here they arrive already parsed.
import type { ImportParams, TrainParams } from '../../shared/contract';
import type { JobKind } from '../../shared/types';
import type { JobContext } from '../protocol';
import { importJob, importScratchPath } from './import';
import { trainJob } from './train';

export interface JobDefinition<P> {
  run(params: P, ctx: JobContext): Promise<unknown>;
  /** Paths the job may leave behind if its process is killed; removed by main after a hard stop. */
  scratchPaths(params: P, jobId: string): string[];
}

type ParamsOf<K extends JobKind> = K extends 'import' ? ImportParams : K extends 'train' ? TrainParams : never;

export const JOBS: { [K in JobKind]: JobDefinition<ParamsOf<K>> } = {
  import: { run: importJob, scratchPaths: (p, id) => [importScratchPath(p, id)] },
  // a killed training run leaves its run folder: its last checkpoint is what --resume continues from
  train: { run: trainJob, scratchPaths: () => [] },
};
