// Checkpoints in a run folder: every parameter and the optimizer's moments, the epoch, the training
// pairs (seeds plus merged pseudo-labels) and the options, written atomically (data/tree.ts), so a
// run resumes exactly where it was and `eval`/`propose` rebuild the same model — on the same data,
// read and featurised the same way, with the same split (CheckpointSource), so a checkpoint is never
// scored on a test part that holds pairs it trained on.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadOptions } from '../data/formats';
import { readTree, replaceTree } from '../data/tree';
import type { FeatureSettings, Features } from '../features/build';
import { adamwState, restoreAdamW } from '../nn/adamw';
import { DEFAULT_MODEL, MODELS, optionsOf, type ModelId } from '../../shared/models';
import { MmeaError } from '../../shared/errors';
import type { Trainer, TrainOptions } from './trainer';

interface CheckpointData {
  params: Record<string, Float32Array>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
  /** the seeds, then the merged pseudo-labels */
  train: Int32Array;
  /** iterative training's pending candidates and last merge round, as flat (left, right) rows */
  candidates: Int32Array | null;
  previousMerge: Int32Array;
  /** the curriculum's grouped list between its rebuilds (methods.md §1.4), if one is in use */
  curriculum?: Int32Array | null;
  /** the model's own state beyond its parameters (models/types.ts saveExtra: HUMEA's `club`) */
  [extra: string]: unknown;
}

/** What a checkpoint was trained on: the data folder (a dataset or a project), how it was read, the
 *  feature settings (split rate and seed among them), and the split that came of them. */
export interface CheckpointSource {
  data: string;
  read: Pick<ReadOptions, 'format' | 'names' | 'fold' | 'kg2' | 'wordVectors'>;
  features: FeatureSettings;
}
export interface RecordedSplit {
  train: number;
  valid: number;
  test: number;
  /** sha256 of the train, valid and test pairs (entity rows, in order) */
  digest: string;
}

/** The split's sizes and a digest of its pairs: equal digests, equal splits. */
export function recordedSplit(split: Features['split']): RecordedSplit {
  const h = createHash('sha256');
  for (const part of [split.train, split.valid, split.test]) {
    h.update(String(part.length));
    h.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
  }
  return { train: split.train.length / 2, valid: split.valid.length / 2, test: split.test.length / 2, digest: h.digest('hex') };
}

const flat = (m: Map<number, number>) => Int32Array.from([...m].flat());
function unflat(a: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < a.length; i += 2) m.set(a[i]!, a[i + 1]!);
  return m;
}

/** A trainer's whole state in memory: what a checkpoint writes (tensors copied out). */
export interface Snapshot {
  data: CheckpointData;
  manifest: Record<string, unknown>;
}

/** Read asynchronously (as every host read outside a step); the caller trains nothing meanwhile. */
export async function snapshot(t: Trainer, source: CheckpointSource | null = null): Promise<Snapshot> {
  const { model } = t;
  const data: CheckpointData = {
    ...(await model.saveExtra?.()),
    ...(await adamwState(model.params, model.optimizer)),
    train: t.train,
    candidates: t.candidates && flat(t.candidates),
    previousMerge: flat(t.previousMerge),
    curriculum: t.curriculum,
  };
  const manifest = {
    format: 'mmea-studio-checkpoint',
    model: model.id,
    epoch: t.epoch,
    step: model.optimizer.step,
    options: t.options,
    modalities: model.present,
    source,
    split: recordedSplit(t.features.split),
    shapes: Object.fromEntries([...model.params].map(([k, v]) => [k, v.shape])),
  };
  return { data, manifest };
}

/** Writes `t` to `dir`; `source` (what it was trained on) is recorded with the split for eval/propose. */
export async function saveCheckpoint(dir: string, t: Trainer, source: CheckpointSource | null = null): Promise<void> {
  const { data, manifest } = await snapshot(t, source);
  await replaceTree(dir, data, manifest);
}

/** The model and options of a manifest: a model id this version does not know is an error; options
 *  a later version added take their defaults (the behaviour of the version that wrote it). */
function manifestOptions(dir: string, m: { model?: string; options?: Record<string, unknown> }): TrainOptions {
  const model = m.model ?? DEFAULT_MODEL; // checkpoints from before the model zoo were HUMEA's
  if (!(model in MODELS)) throw new MmeaError('bad-input', `${dir}: the checkpoint is of model '${model}', which this version does not have (${Object.keys(MODELS).join(', ')})`);
  return optionsOf({ ...m.options, model: model as ModelId });
}

/** The options a checkpoint was trained with (its manifest only: the tensors are read by loadCheckpoint). */
export async function readCheckpointOptions(dir: string): Promise<TrainOptions> {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir}: no checkpoint (manifest.json missing)`);
  return manifestOptions(dir, JSON.parse(await readFile(file, 'utf8')) as { model?: string; options?: Record<string, unknown> });
}

/** What the checkpoint was trained on and the split it recorded; null for a checkpoint older than
 *  these records. */
export async function readCheckpointSource(dir: string): Promise<{ source: CheckpointSource; split: RecordedSplit } | null> {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir}: no checkpoint (manifest.json missing)`);
  const m = JSON.parse(await readFile(file, 'utf8')) as { source?: CheckpointSource | null; split?: RecordedSplit };
  return m.source && m.split ? { source: m.source, split: m.split } : null;
}

/** Restores `t` (built with the checkpoint's options and data) and returns the options. */
export async function loadCheckpoint(dir: string, t: Trainer): Promise<TrainOptions> {
  const tree = await readTree<CheckpointData>(dir);
  if (!tree) throw new Error(`${dir}: no checkpoint (manifest.json missing)`);
  return restoreSnapshot(t, tree, dir);
}

/** Puts `t` back in the state of `s` (a snapshot of the same model on the same data); `dir` names
 *  the checkpoint in errors. Returns the options. */
export function restoreSnapshot(t: Trainer, s: Snapshot, dir = 'snapshot'): TrainOptions {
  const { data, manifest } = s;
  const { model } = t;
  const saved = manifestOptions(dir, manifest as { model?: string });
  // another model's parameters would fail by name or shape, or worse, fit by chance: refuse by id
  if (saved.model !== model.id) throw new MmeaError('conflict', `${dir}: the checkpoint is of model '${saved.model}', not '${model.id}'`);
  restoreAdamW(dir, model.params, model.optimizer, data);
  model.loadExtra?.(data, dir);
  t.epoch = manifest.epoch as number;
  model.optimizer.step = manifest.step as number;
  t.train = data.train;
  t.candidates = data.candidates && unflat(data.candidates);
  t.previousMerge = unflat(data.previousMerge);
  t.curriculum = data.curriculum ?? null;
  return manifestOptions(dir, manifest as { model?: string; options?: Record<string, unknown> });
}
