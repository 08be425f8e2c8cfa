// Every long job the engine runs, by kind. Main validates the parameters against the contract
// before a job starts; here they arrive already parsed.
import type { ImportParams, RoundParams, TrainParams } from '../../shared/contract';
import type { JobKind } from '../../shared/types';
import type { JobContext } from '../protocol';
import { importJob, importScratchPath } from './import';
import { roundScratchPath } from '../curation/rounds';
import { roundJob } from './round';
import { trainJob } from './train';

export interface JobDefinition<P> {
  run(params: P, ctx: JobContext): Promise<unknown>;
  /** Paths the job may leave behind if its process is killed; removed by main after a hard stop. */
  scratchPaths(params: P, jobId: string): string[];
}

type ParamsOf<K extends JobKind> = K extends 'import' ? ImportParams : K extends 'train' ? TrainParams : K extends 'round' ? RoundParams : never;

export const JOBS: { [K in JobKind]: JobDefinition<ParamsOf<K>> } = {
  import: { run: importJob, scratchPaths: (p, id) => [importScratchPath(p, id)] },
  // a killed training run leaves its run folder: its last checkpoint is what --resume continues from
  train: { run: trainJob, scratchPaths: () => [] },
  // a killed round leaves only its scratch folder
  round: { run: roundJob, scratchPaths: (p, id) => [roundScratchPath(p, id)] },
};
