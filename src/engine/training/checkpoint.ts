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
import type { AdamW } from '../nn/adamw';
import { tf } from '../runtime/tf';
import { TRAIN_DEFAULTS, type Trainer, type TrainOptions } from './trainer';

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
  /** CLUB's estimator nets and their optimizer's moments, when the run uses it */
  club?: { params: Record<string, Float32Array>; m: Record<string, Float32Array>; v: Record<string, Float32Array>; step: number } | null;
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

const read = (vars: Map<string, tf.Variable>) => Object.fromEntries([...vars].map(([k, v]) => [k, v.dataSync() as Float32Array]));
/** Parameters and their AdamW moments by name (the inverse of restore below). */
const weights = (params: Map<string, tf.Variable>, optimizer: AdamW) => ({ params: read(params), m: read(optimizer.m), v: read(optimizer.v) });

/** Writes `t` to `dir`; `source` (what it was trained on) is recorded with the split for eval/propose. */
export async function saveCheckpoint(dir: string, t: Trainer, source: CheckpointSource | null = null): Promise<void> {
  const data: CheckpointData = {
    ...weights(t.params, t.optimizer),
    train: t.train,
    candidates: t.candidates && flat(t.candidates),
    previousMerge: flat(t.previousMerge),
    curriculum: t.curriculum,
    club: t.club && { ...weights(t.club.params, t.club.optimizer), step: t.club.optimizer.step },
  };
  await replaceTree(dir, data, {
    format: 'mmea-studio-checkpoint',
    model: 'humea',
    epoch: t.epoch,
    step: t.optimizer.step,
    options: t.options,
    modalities: t.model.present,
    source,
    split: recordedSplit(t.features.split),
    shapes: Object.fromEntries([...t.params].map(([k, v]) => [k, v.shape])),
  });
}

/** The options a checkpoint was trained with (its manifest only: the tensors are read by loadCheckpoint). */
export async function readCheckpointOptions(dir: string): Promise<TrainOptions> {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir}: no checkpoint (manifest.json missing)`);
  // options a later version added take their defaults (the behaviour of the version that wrote it)
  return { ...TRAIN_DEFAULTS, ...(JSON.parse(await readFile(file, 'utf8')) as { options: TrainOptions }).options };
}

/** What the checkpoint was trained on and the split it recorded; null for a checkpoint older than
 *  these records. */
export async function readCheckpointSource(dir: string): Promise<{ source: CheckpointSource; split: RecordedSplit } | null> {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir}: no checkpoint (manifest.json missing)`);
  const m = JSON.parse(await readFile(file, 'utf8')) as { source?: CheckpointSource | null; split?: RecordedSplit };
  return m.source && m.split ? { source: m.source, split: m.split } : null;
}

function restore(dir: string, params: Map<string, tf.Variable>, optimizer: AdamW, saved: Pick<CheckpointData, 'params' | 'm' | 'v'>): void {
  for (const [name, p] of params) {
    const values = saved.params[name];
    if (!values || values.length !== p.size) throw new Error(`${dir}: parameter ${name} is missing or has another shape (was the checkpoint made on other data or options?)`);
    tf.tidy(() => {
      p.assign(tf.tensor(values, p.shape));
      optimizer.m.get(name)!.assign(tf.tensor(saved.m[name]!, p.shape));
      optimizer.v.get(name)!.assign(tf.tensor(saved.v[name]!, p.shape));
    });
  }
}

/** Restores `t` (built with the checkpoint's options and data) and returns the options. */
export async function loadCheckpoint(dir: string, t: Trainer): Promise<TrainOptions> {
  const tree = await readTree<CheckpointData>(dir);
  if (!tree) throw new Error(`${dir}: no checkpoint (manifest.json missing)`);
  const { data, manifest } = tree;
  restore(dir, t.params, t.optimizer, data);
  if (t.club) {
    if (!data.club) throw new Error(`${dir}: the checkpoint has no CLUB estimator (it was trained without --mi-loss)`);
    restore(dir, t.club.params, t.club.optimizer, data.club);
    t.club.optimizer.step = data.club.step;
  }
  t.epoch = manifest.epoch as number;
  t.optimizer.step = manifest.step as number;
  t.train = data.train;
  t.candidates = data.candidates && unflat(data.candidates);
  t.previousMerge = unflat(data.previousMerge);
  t.curriculum = data.curriculum ?? null;
  return { ...TRAIN_DEFAULTS, ...(manifest.options as TrainOptions) };
}
