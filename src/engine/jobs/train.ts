// The train job: a model (any of the registry's) on a project's cached features, in the engine process (never in a window),
// with epoch / loss / ETA / last validation metrics as progress. Cancelling stops after the
// current epoch with a last evaluation and checkpoint, so the run folder stays resumable.
import { join, resolve } from 'node:path';
import type { TrainParams } from '../../shared/contract';
import { MmeaError } from '../../shared/errors';
import { isProject } from '../data/project';
import { settingsWithSplit } from '../features/build';
import { ensureFeatures } from '../features/store';
import { trainRun, type RunResult } from '../training/run';
import { initBackend } from '../runtime/tf';
import { optionsOf } from '../../shared/models';
import type { JobContext } from '../protocol';

export async function trainJob(params: TrainParams, ctx: JobContext): Promise<RunResult> {
  const project = resolve(params.project);
  if (!isProject(project)) throw new MmeaError('bad-input', `${project} is not a project folder`);
  const backend = await initBackend();
  ctx.progress(0, 'features', `backend ${backend}`);
  const settings = settingsWithSplit({ rate: params.rate, validFraction: params.validFraction });
  const { features } = await ensureFeatures(project, settings);
  const options = optionsOf(params.options);
  const out = params.out ? resolve(params.out) : join(project, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  return trainRun(
    features,
    settings,
    options,
    { out, data: project, backend, resume: params.resume },
    {
      onEpoch: (e, eta, lastEval) => {
        const valid = lastEval?.valid ? `; validation H@1 ${lastEval.valid.mean.hits1.toFixed(3)} MRR ${lastEval.valid.mean.mrr.toFixed(3)} (epoch ${lastEval.epoch})` : '';
        ctx.progress(e.epoch / options.epochs, `epoch ${e.epoch}/${options.epochs}`, `loss ${e.loss.toFixed(4)}, ${e.seconds.toFixed(2)} s/epoch, ETA ${Math.round(eta)} s${valid}`);
      },
      shouldStop: () => ctx.signal.aborted,
    },
  );
}
