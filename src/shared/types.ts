// Domain types shared by main, preload, renderer and engine. Plain data only (structured-clone safe).

import type { ModelId } from './models';

export type Side = 1 | 2;

/** Dataset formats the importer reads (docs/formats.md); openke holds one graph (inspect only). */
export const DATASET_FORMATS = ['ids', 'openea', 'mmkb', 'tsv', 'openke'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface GraphSummary {
  side: Side;
  name: string;
  entities: number;
  relations: number;
  triples: number;
  attributeNames: number;
  attributeValues: number;
  /** entities named by the data's names file */
  named: number;
  /** entities without such a name whose URI carries one (DBpedia, YAGO): "names from URIs" */
  uriNames: number;
}

export interface ProjectSummary {
  path: string;
  name: string;
  source: { path: string; format: string };
  graphs: [GraphSummary, GraphSummary];
  links: { total: number; train: number; test: number };
  /** the split training will use: the dataset's own files, or drawn (seeded) at `rate` with `seed`
   *  when it has none; validation is carved out of training (model selection) */
  split: { source: 'files' | 'seeded'; rate: number | null; seed: number; train: number; valid: number; test: number };
}

export interface EntityRow {
  id: number; // global id
  label: string;
  degree: number;
  /** counterpart in the other graph when the pair is a training seed */
  seedCounterpart: number | null;
}

export interface EntityDetail extends EntityRow {
  side: Side;
  uri: string;
  attributes: { name: string; value: string | null }[];
  /** the first relations asked for (graph:entity maxRelations) */
  relations: { relation: string; direction: 'out' | 'in'; other: number; otherLabel: string }[];
  /** all of them */
  relationCount: number;
  /** image files the entity has (images:thumbnail index 0..images-1) */
  images: number;
}

/** "Accept above threshold" (curation:accept): the threshold the audits vouch for (null: none yet),
 *  what it rests on, how many pairs it accepts, and how many were recorded (apply) */
export interface AcceptResult {
  /** what the tiers' calibrated thresholds accept, in words (shared/curation.ts describeThresholds);
   *  null while the audits vouch for no tier */
  rule: string | null;
  audits: number;
  auditsRight: number;
  confirmed: number;
  accepted: number;
  recorded: number;
}

export interface Thumbnail {
  /** image/webp data: URL */
  dataUrl: string;
  width: number;
  height: number;
  original: { width: number; height: number };
  /** served from the project's thumbnail cache */
  cached: boolean;
}

export interface NeighbourhoodNode {
  id: number;
  label: string;
  hop: number;
  degree: number;
  seedCounterpart: number | null;
}

export interface NeighbourhoodEdge {
  source: number;
  target: number;
  relation: string;
}

export interface Neighbourhood {
  side: Side;
  center: number;
  nodes: NeighbourhoodNode[];
  edges: NeighbourhoodEdge[];
  /** true when the node cap cut the neighbourhood */
  truncated: boolean;
}

export type JobKind = 'import' | 'train' | 'round';
export type JobState = 'running' | 'done' | 'error' | 'cancelled';

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  project: string | null;
  fraction: number; // 0..1
  stage: string;
  etaSeconds: number | null;
  message?: string;
  /** figures for a live chart (a round's epoch and loss) */
  data?: Record<string, number>;
}

/** A curation round (engine/jobs/round.ts): what it trained on, and what it found. */
export interface RoundInfo {
  round: number;
  warmStartFrom: number | null;
  /** the model the round trained (rounds before the model zoo: HUMEA, absent) */
  model?: ModelId;
  createdAt: string;
  epochs: number;
  /** the model's epoch count after the round (warm starts go on counting) */
  epoch: number;
  loss: number | null;
  /** seeds trained on (the validation part of the seeds is held out) */
  seeds: number;
  /** the model on the validation seeds at the round's last evaluation (null: no validation part) */
  valid: { pairs: number; epoch: number; hits1: number; mrr: number } | null;
  confirmedTrained: number;
  /** confirmed pairs held out of training, and the model's metrics on them */
  heldOut: number;
  metrics: { hits1: number; hits10: number; mrr: number } | null;
  /** the model on the known pairs training never saw (the dataset's test links, or the rest of a
   *  seeded split); absent in rounds recorded before it was measured */
  test?: { pairs: number; hits1: number; hits10: number; mrr: number } | null;
  /** the round's training curve: loss every epoch, validation where it was measured */
  curve?: { epoch: number; loss: number; validHits1?: number; validMrr?: number }[];
  /** training seconds per epoch, as measured on the machine that trained it */
  secondsPerEpoch?: number | null;
  /** pairs iterative pseudo-labelling added to training this round (0 without --iterative) */
  pseudoLabels?: number;
  weights: Record<string, number>;
  queue: number;
  /** sources whose first candidate changed since the previous round (entity ids) */
  changed: { source: number; before: number | null; after: number | null }[];
  /** verdicts standing at the previous round that were changed or withdrawn since (entity ids;
   *  target null for a verdict on the source alone; after null: withdrawn) */
  verdictFlips?: { source: number; target: number | null; before: string; after: string | null }[];
  /** confirmed pairs the model now doubts, rejected pairs it now ranks first */
  disagreements: { kind: 'confirmed-doubted' | 'rejected-first'; source: number; target: number; modelFirst: number; score: number }[];
  rolledBack: boolean;
  /** names for entities without one from their URIs (chosen by the first round, kept after) */
  namesFromUris?: boolean;
}

export interface JobInfo {
  jobId: string;
  kind: JobKind;
  /** the project folder the job works on (a round's, an import's target), if any */
  project: string | null;
  /** what the job is, in words, for the job bar ("round on Demo: …, 40 epochs") */
  title: string;
  state: JobState;
  startedAt: number;
  progress: JobProgress | null;
  /** every figure reported with the progress so far (a round's epoch, loss, validation H@1): a page
   *  opened or reloaded mid-job draws the whole curve */
  series: Record<string, number>[];
}

export interface AppInfo {
  version: string;
  mode: 'electron' | 'browser';
  platform: string;
  home: string;
}
