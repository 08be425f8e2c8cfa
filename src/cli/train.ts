// `mmea train | eval | propose`: the alignment engine from the command line (docs/cli.md).
// A run folder holds run.json (options, data, backend), log.jsonl (one JSON object per epoch and per
// evaluation), checkpoints/{last,selected} and result.json.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MmeaError } from '../shared/errors';
import { readDataset, type ReadOptions } from '../engine/data/formats';
import type { KgPair } from '../engine/data/kg';
import { isProject, Project } from '../engine/data/project';
import { pairNames, projectNames, rowNames } from '../engine/curation/lexical';
import { InputReport } from '../engine/data/report';
import { buildFeatures, settingsWithSplit, type FeatureSettings, type Features } from '../engine/features/build';
import { ensureFeatures } from '../engine/features/store';
import { loadCheckpoint, readCheckpointOptions, readCheckpointSource, recordedSplit, type CheckpointSource, type RecordedSplit } from '../engine/training/checkpoint';
import { trainRun } from '../engine/training/run';
import { KERNEL_PATHS, kernelPathName, setKernelPath, type KernelPath } from '../engine/runtime/kernelPath';
import { kernelImplementation } from '../engine/runtime/native';
import { kernelPoolProblem, kernelThreads, setKernelThreads } from '../engine/runtime/pool';
import { proposals } from '../engine/curation/propose';
import { BACKENDS, initBackend, type BackendName } from '../engine/runtime/tf';
import { firstMerge, MERGE_EVERY, Trainer, type Evaluation, type TrainOptions } from '../engine/training/trainer';
import { splitOptions } from '../shared/models/split';
import { modelFlagsHelp, modelFlagTable, modelOptionsFrom, UsageError } from './modelFlags';

export { UsageError };

export const TRAIN_USAGE = `training (see docs/cli.md):
  train --data <dir> --out <run-dir> [--model ID] [options]
                        train a model; progress on stderr, result last on stdout
  eval --checkpoint <dir> [--data <dir>]          metrics of a saved checkpoint, on the data and split
                                                  it was trained on (a flag that differs is an error)
  propose --checkpoint <dir> --out <file.jsonl> [--data <dir>] [--k 10]
                                                  top-k candidates per unaligned entity with evidence
  experiments <plan.json> --out <dir> [--dry-run] runs of a plan, one after another; summary over seeds
  models [--json]       the models, their papers, modalities and options
data and run options:
  --data DIR            a project folder or a dataset folder (any format of mmea inspect)
  --rate R              ${splitOptions.shape.rate.description}
  --valid-fraction F    ${splitOptions.shape.validFraction.description}
  --word-vectors W      a dataset folder's names get word vectors: wink | FILE (the 'word' modality)
  --backend B           auto | ${BACKENDS.join(' | ')}
  --threads N           threads of the hand-written graph kernels (default: the machine's cores, at
                        most 8; MMEA_THREADS); 1 reproduces single-threaded runs bit for bit
  --resume              continue the run in --out from its last checkpoint
  --json                standard output is JSON only
${modelFlagsHelp()}
`;

export const OPTIONS = {
  json: { type: 'boolean', default: false },
  data: { type: 'string' },
  out: { type: 'string' },
  checkpoint: { type: 'string' },
  format: { type: 'string' },
  names: { type: 'string' },
  'word-vectors': { type: 'string' },
  fold: { type: 'string' },
  kg2: { type: 'string' },
  'names-from-uris': { type: 'boolean', default: false },
  rate: { type: 'string' },
  'valid-fraction': { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  kernels: { type: 'string', default: 'auto' },
  threads: { type: 'string' },
  resume: { type: 'boolean', default: false },
  k: { type: 'string' },
  ...(modelFlagTable() as Record<string, { type: 'string' }>),
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A numeric option: its value, the fallback when absent, a usage error when `check` fails. */
export function num(v: string | undefined, name: string, fallback: number, check: (x: number) => boolean = Number.isFinite): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!check(x)) throw new UsageError(`--${name}: not a valid value: ${v}`);
  return x;
}
export const int = (x: number) => Number.isInteger(x) && x >= 0;

/** Training options from the command line over the model's defaults (or over a run's saved options). */
export function trainOptions(v: Values, base?: TrainOptions): TrainOptions {
  return modelOptionsFrom(v, base);
}

/** The backend --backend asks for (auto: the first of tfjs-node-gpu, tfjs-node, wasm that loads). */
export async function trainBackend(v: Values): Promise<BackendName> {
  return initBackend(v.backend as BackendName | 'auto');
}

/** --threads (the host kernels' threads) and --kernels (runtime/kernelPath.ts: host, device or auto). */
export function applyRuntime(v: Values): void {
  if (v.threads !== undefined) setKernelThreads(num(v.threads, 'threads', 1, (x) => Number.isInteger(x) && x >= 1 && x <= 256));
  const kernels = v.kernels ?? 'auto';
  if (!(KERNEL_PATHS as readonly string[]).includes(kernels)) throw new UsageError(`--kernels must be one of ${KERNEL_PATHS.join(', ')}, not '${kernels}'`);
  setKernelPath(kernels as KernelPath);
}

/** The feature settings the flags ask for (split rate and validation part, names from URIs). */
function settingsOf(v: Values): FeatureSettings {
  return settingsWithSplit(
    {
      rate: v.rate === undefined ? undefined : num(v.rate, 'rate', 0, (x) => splitOptions.shape.rate.safeParse(x).success),
      validFraction: v['valid-fraction'] === undefined ? undefined : num(v['valid-fraction'], 'valid-fraction', 0, (x) => splitOptions.shape.validFraction.safeParse(x).success),
    },
    v['names-from-uris'],
  );
}

/** How the flags ask a dataset folder to be read (files named by absolute paths, as recorded). */
function readOptionsOf(v: Values): CheckpointSource['read'] {
  const read: CheckpointSource['read'] = { format: v.format as ReadOptions['format'], names: v.names && resolve(v.names), fold: v.fold, kg2: v.kg2 };
  const w = v['word-vectors'];
  if (w) read.wordVectors = w === 'wink' ? w : resolve(w);
  return Object.fromEntries(Object.entries(read).filter(([, x]) => x !== undefined)) as CheckpointSource['read'];
}

/** Features of a project (cached) or of a dataset folder (built in memory). */
export async function loadData(dir: string, settings: FeatureSettings, readOptions: CheckpointSource['read']): Promise<{ features: Features; pair?: KgPair }> {
  if (isProject(dir)) return { features: (await ensureFeatures(dir, settings)).features };
  const report = new InputReport();
  const pair = await readDataset(dir, report, readOptions);
  if (report.hasErrors) throw new MmeaError('bad-input', `${report.errorCount} problem(s) in ${dir}:\n${report.format()}`, report.toJSON());
  return { features: buildFeatures(pair, settings), pair };
}

function metricsLine(e: Evaluation): string {
  const m = (x: Evaluation['test']) => (x ? `H@1 ${x.mean.hits1.toFixed(3)} H@10 ${x.mean.hits10.toFixed(3)} MRR ${x.mean.mrr.toFixed(3)}` : '-');
  return `epoch ${e.epoch}: valid ${m(e.valid)} | test ${m(e.test)}`;
}

function say(json: boolean, line: string): void {
  process.stderr.write(json ? JSON.stringify({ message: line }) + '\n' : line + '\n');
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  if (!v.data) throw new UsageError('train: --data <dir> is required');
  if (!v.out) throw new UsageError('train: --out <run-dir> is required');
  const out = resolve(v.out);
  const t0 = performance.now();
  const backend = await trainBackend(v);
  applyRuntime(v);
  const settings = settingsOf(v);
  const read = readOptionsOf(v);
  const { features } = await loadData(resolve(v.data), settings, read);
  // a resumed run keeps its saved options; flags given again override them
  const saved = v.resume && existsSync(join(out, 'checkpoints', 'last', 'manifest.json')) ? await readCheckpointOptions(join(out, 'checkpoints', 'last')) : undefined;
  const options = trainOptions(v, saved);
  say(
    v.json,
    `backend ${backend}, ${kernelPathName() === 'device' ? 'device path (tfjs ops on the backend)' : `${kernelImplementation()} GAT kernels on ${kernelThreads()} thread(s)${kernelPoolProblem() ? ` (${kernelPoolProblem()})` : ''}`}; ${features.split.train.length / 2} train / ${features.split.valid.length / 2} valid / ${features.split.test.length / 2} test pairs`,
  );
  const merge = firstMerge(options);
  if (merge !== null && merge > options.epochs)
    say(
      v.json,
      `--iterative ${options.iterative} merges pseudo-labels every ${MERGE_EVERY} epochs from --il-start ${options.ilStart}, first after epoch ${merge}: this run of ${options.epochs} epochs merges none`,
    );
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  const final = await trainRun(
    features,
    settings,
    options,
    { out, data: resolve(v.data), backend, resume: v.resume, read },
    {
      onEpoch: (e, eta, lastEval) => {
        const line = `epoch ${e.epoch}/${options.epochs} loss ${e.loss.toFixed(4)} ${e.seconds.toFixed(2)} s/epoch ETA ${Math.round(eta)} s${lastEval ? ` | ${metricsLine(lastEval)}` : ''}`;
        if (v.json)
          process.stderr.write(JSON.stringify({ progress: e.epoch / options.epochs, epoch: e.epoch, loss: e.loss, etaSeconds: Math.round(eta), valid: lastEval?.valid?.mean ?? null }) + '\n');
        else if (process.stderr.isTTY) process.stderr.write(`\r${line.slice(0, 150).padEnd(150)}`);
        else if (e.epoch % 10 === 0) process.stderr.write(line + '\n');
      },
      onEvaluation: (e, selected) => {
        if (process.stderr.isTTY && !v.json) process.stderr.write('\n');
        say(v.json, metricsLine(e) + (selected ? ' (selected)' : ''));
      },
      shouldStop: () => stop,
    },
  );
  final.wallSeconds = (performance.now() - t0) / 1000; // with data loading
  if (v.json) console.log(JSON.stringify(final));
  else {
    for (const [k, e] of Object.entries(final.result)) {
      if (e)
        console.log(
          `${k.padEnd(18)} epoch ${String(e.epoch).padStart(4)}  H@1 ${e.mean.hits1.toFixed(3)}  H@5 ${e.mean.hits5.toFixed(3)}  H@10 ${e.mean.hits10.toFixed(3)}  MRR ${e.mean.mrr.toFixed(3)}  MR ${e.mean.mr.toFixed(1)}`,
        );
    }
    console.log(`${final.epochs} epochs, ${final.secondsPerEpoch.toFixed(2)} s/epoch, ${final.wallSeconds.toFixed(0)} s wall, peak RSS ${final.peakRssMB} MB, backend ${backend}; run in ${out}`);
  }
  return 0;
}

/** A trainer restored from a checkpoint, with the data and options the run used. */
/**
 * The data, read options and feature settings a checkpoint was trained on, with the flags checked
 * against them: a flag that asks for something else (another split rate, another names file) is an
 * error naming both values, never a silent re-split whose test part holds training pairs. Without
 * records (a checkpoint older than them), the flags as given.
 */
function sourceFor(v: Values, ck: string, recorded: CheckpointSource | null): CheckpointSource {
  const data = v.data ? resolve(v.data) : recorded?.data;
  if (!data) throw new UsageError(`--data <dir> is required (${ck} does not record its data)`);
  if (!recorded) return { data, read: readOptionsOf(v), features: settingsOf(v) };
  const conflict = (flag: string, given: unknown, theirs: unknown) =>
    new UsageError(`${flag} ${String(given)} conflicts with the checkpoint's ${String(theirs)} (${ck}); leave ${flag} out to use the checkpoint's`);
  const split = recorded.features.split;
  if (v.rate !== undefined) {
    const asked = settingsOf(v).split.trainRate;
    if (!split.ignoreFiles) throw conflict('--rate', asked, "split from the dataset's split files");
    if (asked !== split.trainRate) throw conflict('--rate', asked, split.trainRate);
  }
  if (v['valid-fraction'] !== undefined && settingsOf(v).split.validFraction !== split.validFraction) throw conflict('--valid-fraction', v['valid-fraction'], split.validFraction);
  if (v['names-from-uris'] && !recorded.features.namesFromUris) throw conflict('--names-from-uris', true, 'names from names files only');
  const asked = readOptionsOf(v);
  for (const [key, flag] of [
    ['format', '--format'],
    ['names', '--names'],
    ['fold', '--fold'],
    ['kg2', '--kg2'],
    ['wordVectors', '--word-vectors'],
  ] as const) {
    if (asked[key] !== undefined && asked[key] !== recorded.read[key]) throw conflict(flag, asked[key], recorded.read[key] ?? 'none');
  }
  return { ...recorded, data };
}

async function restored(v: Values): Promise<{ trainer: Trainer; backend: BackendName; data: string; pair?: KgPair }> {
  if (!v.checkpoint) throw new UsageError('--checkpoint <dir> is required');
  const ck = resolve(v.checkpoint);
  const recorded = await readCheckpointSource(ck);
  const source = sourceFor(v, ck, recorded?.source ?? null);
  const backend = await trainBackend(v);
  applyRuntime(v);
  const { features, pair } = await loadData(source.data, source.features, source.read);
  // the same data, read the same way, must give the same split: else the data changed since
  if (recorded) {
    const now = recordedSplit(features.split);
    const was = recorded.split;
    if (now.digest !== was.digest) {
      const sizes = (x: RecordedSplit) => `${x.train} train / ${x.valid} valid / ${x.test} test`;
      throw new MmeaError('conflict', `${source.data} now gives another split (${sizes(now)}) than the one ${ck} was trained on (${sizes(was)}): the data changed since, or another folder was given`);
    }
  }
  const trainer = new Trainer(features, trainOptions(v, await readCheckpointOptions(ck)));
  await loadCheckpoint(ck, trainer);
  return { trainer, backend, data: source.data, pair };
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  const { trainer, backend } = await restored(v);
  const e = await trainer.evaluation();
  const out = { epoch: e.epoch, valid: e.valid, test: e.test, weights: e.weights, backend };
  trainer.dispose();
  if (v.json) console.log(JSON.stringify(out));
  else console.log(metricsLine(e));
  return 0;
}

export async function proposeCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  if (!v.out) throw new UsageError('propose: --out <file.jsonl> is required');
  const { trainer, data, pair } = await restored(v);
  const k = num(v.k, 'k', 10, (x) => int(x) && x >= 1);
  // the names for the name anchors: from the dataset read in memory, or from the project
  const entityOf = pair ? pairNames(pair) : projectNames(await Project.open(data));
  const written = await proposals(
    trainer,
    k,
    resolve(v.out),
    entityOf,
    rowNames((id) => entityOf(id).label, trainer.features),
  );
  trainer.dispose();
  if (v.json) console.log(JSON.stringify({ out: resolve(v.out), ...written }));
  else console.log(`${written.queries} entities, ${k} candidates each, written to ${resolve(v.out)}`);
  return 0;
}
