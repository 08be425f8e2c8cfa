// One training run in a run folder, shared by `mmea train` and the app's train job: run.json
// (model, data, options, features, backend), log.jsonl (every epoch and evaluation), checkpoints
// (last, and the validation-selected one), result.json; resumable from checkpoints/last.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureSettings, Features } from '../features/build';
import { loadCheckpoint, recordedSplit, saveCheckpoint, type CheckpointSource } from './checkpoint';
import type { BackendName } from '../runtime/tf';
import { kernelPathName } from '../runtime/kernelPath';
import { kernelImplementation, nativeDense } from '../runtime/native';
import { kernelThreads } from '../runtime/pool';
import { Trainer, type EpochLog, type Evaluation, type TrainOptions } from './trainer';

export interface RunHooks {
  onEpoch?(log: EpochLog, etaSeconds: number, lastEvaluation: Evaluation | null): void;
  onEvaluation?(e: Evaluation, selected: boolean): void;
  shouldStop?(): boolean;
}

/** An evaluation's test figures as a run reports them (null without test pairs: nothing to report) */
function summary(e: Evaluation | null) {
  if (!e?.test) return null;
  return { epoch: e.epoch, mean: e.test.mean, l2r: e.test.l2r, r2l: e.test.r2l, valid: e.valid?.mean ?? null, weights: e.weights };
}
export type RunSummary = NonNullable<ReturnType<typeof summary>>;

export interface RunResult {
  result: { validationSelected: RunSummary | null; bestOnTest: RunSummary | null; last: RunSummary | null };
  epochs: number;
  secondsPerEpoch: number;
  wallSeconds: number;
  peakRssMB: number;
  backend: BackendName;
  /** where the engine's kernels ran: host (loops on the CPU) or device (tfjs ops on the backend) */
  kernelPath: ReturnType<typeof kernelPathName>;
  /** the most host reads any training step of this run made (0 on the device path) */
  hostReadsPerStep: number;
  /** threads of the hand-written kernels (pool.ts) */
  threads: number;
  pseudoLabels: number;
  run: string;
}

export async function trainRun(
  features: Features,
  settings: FeatureSettings,
  options: TrainOptions,
  run: { out: string; data: string; backend: BackendName; resume?: boolean; read?: CheckpointSource['read'] },
  hooks: RunHooks = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const { out } = run;
  const last = join(out, 'checkpoints', 'last');
  if (run.resume && !existsSync(join(last, 'manifest.json'))) throw new Error(`cannot resume: no checkpoint in ${last}`);
  mkdirSync(out, { recursive: true });
  const log = join(out, 'log.jsonl');
  if (!run.resume) writeFileSync(log, '');
  const trainer = new Trainer(features, options);
  try {
    let previous: Evaluation[] = [];
    if (run.resume) {
      await loadCheckpoint(last, trainer);
      // the evaluations up to the checkpoint count for selection; later lines (after it) are dropped
      const lines = readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; epoch: number });
      const kept = lines.filter((l) => l.epoch <= trainer.epoch);
      writeFileSync(log, kept.map((l) => JSON.stringify(l) + '\n').join(''));
      previous = kept.filter((l) => l.type === 'evaluation') as unknown as Evaluation[];
    }
    const split = { ...recordedSplit(features.split), source: features.split.source };
    writeFileSync(
      join(out, 'run.json'),
      JSON.stringify(
        {
          model: options.model,
          data: run.data,
          options,
          features: settings,
          backend: run.backend,
          threads: kernelThreads(),
          kernels: kernelImplementation(),
          kernelPath: kernelPathName(),
          gemm: nativeDense()?.isa ?? null,
          modalities: trainer.model.present,
          split,
        },
        null,
        2,
      ),
    );
    let seconds = 0;
    let seen = 0;
    let hostReads = 0;
    let lastEval: Evaluation | null = null;
    const result = await trainer.run(
      {
        onEpoch: (e) => {
          appendFileSync(log, JSON.stringify({ type: 'epoch', ...e }) + '\n');
          seconds += e.seconds;
          seen++;
          hostReads = Math.max(hostReads, e.hostReads);
          hooks.onEpoch?.(e, ((options.epochs - e.epoch) * seconds) / seen, lastEval);
        },
        onEvaluation: async (e, selected) => {
          appendFileSync(log, JSON.stringify({ type: 'evaluation', selected, ...e }) + '\n');
          lastEval = e;
          hooks.onEvaluation?.(e, selected);
          const source: CheckpointSource = { data: run.data, read: run.read ?? {}, features: settings };
          await saveCheckpoint(last, trainer, source);
          if (selected) await saveCheckpoint(join(out, 'checkpoints', 'selected'), trainer, source);
        },
        shouldStop: hooks.shouldStop,
      },
      previous,
    );
    const final: RunResult = {
      result: { validationSelected: summary(result.validationSelected), bestOnTest: summary(result.bestOnTest), last: summary(result.last) },
      epochs: result.epochs,
      secondsPerEpoch: result.secondsPerEpoch,
      wallSeconds: (performance.now() - t0) / 1000,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      backend: run.backend,
      kernelPath: kernelPathName(),
      hostReadsPerStep: hostReads,
      threads: kernelThreads(),
      pseudoLabels: result.pseudoLabels,
      run: out,
    };
    writeFileSync(join(out, 'result.json'), JSON.stringify(final, null, 2));
    return final;
  } finally {
    trainer.dispose();
  }
}
