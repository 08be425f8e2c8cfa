// The one typed contract between the renderer and main (over Electron IPC or the browser-mode
// bridge). Every channel: its argument schema (validated at the boundary by dispatch()) and its
// result type; every event: its payload type. Main registers handlers against this map, the preload
// and the browser transport build `window.mmea` from it.
import { z } from 'zod';
import type { ChannelName, EventName } from './channels';
import type { AcceptResult, AppInfo, EntityDetail, EntityRow, JobInfo, JobKind, JobProgress, Neighbourhood, ProjectSummary, RoundInfo, Thumbnail } from './types';
import type { ErrorPayload } from './errors';
import { DATASET_FORMATS } from './types';
import { VerdictInput, type VerdictEntry } from './verdicts';
import { ACCEPT_PRECISION, type QueueItem } from './curation';
import { EXPORT_FORMATS } from './exportFormats';
import { modelOptionsInput } from './models';
import { splitOptions } from './models/split';

const side = z.union([z.literal(1), z.literal(2)]);
const entityId = z.number().int().nonnegative();
const path = z.string().min(1).max(4096);

export const importParams = z.object({
  source: path,
  project: path,
  name: z.string().min(1).max(200).optional(),
  /** the dataset's format; detected from the folder's files when absent */
  format: z.enum(DATASET_FORMATS).optional(),
  /** a names file to add (DBP15K's translated-name JSON) */
  names: path.optional(),
  /** word vectors for the names: 'wink' (the bundled package) or a vectors file */
  wordVectors: path.optional(),
  /** OpenEA: the fold folder to take the split from */
  fold: z.string().min(1).max(200).optional(),
  /** MMKB: the second graph (DB15K or YAGO15K) */
  kg2: z.string().min(1).max(50).optional(),
  /** overwrite an existing project folder at `project` */
  replace: z.boolean().optional(),
  /** the fraction of the known pairs given as seeds when the dataset has no split files (its own
   *  split is kept when it has one); absent: 20 % */
  seedRate: z.number().gt(0).lt(1).optional(),
});
export type ImportParams = z.infer<typeof importParams>;

/** Training a model on a project (`mmea train` takes the same options). */
export const trainParams = z.object({
  project: path,
  /** run folder; default <project>/runs/<time> */
  out: path.optional(),
  /** the model (HUMEA when absent) and any of its options (shared/models: the rest take its defaults) */
  options: modelOptionsInput.optional(),
  ...splitOptions.shape,
  resume: z.boolean().optional(),
});
export type TrainParams = z.infer<typeof trainParams>;

/** A curation round (engine/jobs/round.ts); main fills in the verdicts from the project's journal. */
export const roundParams = z.object({
  project: path,
  /** epochs of this round (default 150 for the first round, 50 for a warm start) */
  epochs: z.number().int().min(0).max(100000).optional(),
  /** candidates per source in the queue */
  k: z.number().int().min(1).max(50).optional(),
  options: trainParams.shape.options,
  /** entities without a name get their URI's last segment (DBpedia, YAGO); the first round decides,
   *  later rounds keep its choice (their warm start was trained on those features) */
  namesFromUris: z.boolean().optional(),
  /** standing verdicts, by URI: confirmed and rejected pairs, sources without counterpart */
  confirmed: z.array(z.tuple([z.string(), z.string()])),
  rejected: z.array(z.tuple([z.string(), z.string()])),
  none: z.array(z.string()),
  /** sources of audit verdicts: their confirmed pairs are held out of training too (calibration) */
  audited: z.array(z.string()).optional(),
});
export type RoundParams = z.infer<typeof roundParams>;

export const jobStartArgs = z.discriminatedUnion('kind', [z.object({ kind: z.literal('import'), params: importParams }), z.object({ kind: z.literal('train'), params: trainParams })]);

/** Declares one channel: its argument schema, and (as a phantom type) its result R. */
function channel<R>() {
  return <A extends z.ZodType>(args: A): { args: A; result?: R } => ({ args });
}
const none = z.object({}).strict();

/** The app's settings, kept in its home (settings.json): one declaration, with defaults. */
export const appSettings = z.object({
  /** recorded with every verdict and so in every export; '' until the curator gives one */
  curator: z.string().max(200).default(''),
  /** whether the curator was asked for a name (asked once, on the first review) */
  curatorAsked: z.boolean().default(false),
});
export type AppSettings = z.output<typeof appSettings>;

export interface ProjectListEntry {
  path: string;
  name: string;
  createdAt: string;
  /** in the app's home (removing deletes it) or opened from elsewhere (removing forgets it) */
  managed: boolean;
  open: boolean;
}

export const contract = {
  'app:info': channel<AppInfo>()(none),
  'project:openDemo': channel<ProjectSummary>()(none),
  'project:open': channel<ProjectSummary>()(z.object({ path })),
  'project:current': channel<ProjectSummary | null>()(none),
  /** imports a dataset folder into a new project in the app's home (a job); open it when done */
  'project:create': channel<{ jobId: string; project: string }>()(importParams.omit({ project: true, replace: true }).extend({ name: z.string().min(1).max(200) })),
  /** the projects the app knows: those in its home, and those opened from elsewhere */
  'project:list': channel<ProjectListEntry[]>()(none),
  /** removes a project: one in the app's home is deleted, one elsewhere only forgotten (never the open one) */
  'project:remove': channel<ProjectListEntry[]>()(z.object({ path })),
  /** the app's settings (the curator's name, recorded with every verdict and in the exports) */
  'settings:get': channel<AppSettings>()(none),
  'settings:set': channel<AppSettings>()(appSettings.partial().strict()),
  'graph:entities': channel<{ total: number; items: EntityRow[] }>()(
    z.object({
      side,
      query: z.string().max(500).optional(),
      offset: z.number().int().nonnegative().default(0),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
  ),
  'graph:entity': channel<EntityDetail>()(z.object({ id: entityId, maxRelations: z.number().int().nonnegative().max(1_000_000).default(1_000_000) })),
  /** image `index` of an entity scaled to fit size × size, made off the UI thread and cached on disk */
  'images:thumbnail': channel<Thumbnail>()(z.object({ id: entityId, index: z.number().int().nonnegative().default(0), size: z.number().int().min(16).max(2048).default(192) })),
  'graph:neighbourhood': channel<Neighbourhood>()(
    z.object({
      id: entityId,
      hops: z.number().int().min(1).max(2).default(2),
      maxNodes: z.number().int().min(1).max(2000).default(60),
    }),
  ),
  'jobs:start': channel<{ jobId: string }>()(jobStartArgs),
  'jobs:cancel': channel<{ cancelled: boolean }>()(z.object({ jobId: z.string().min(1).max(100) })),
  'jobs:list': channel<JobInfo[]>()(none),
  /** records a verdict in the open project's journal; answers once it is on disk */
  'verdicts:record': channel<VerdictEntry>()(VerdictInput),
  /** the verdicts standing in the open project, and what opening its journal dropped or skipped */
  'verdicts:list': channel<{ verdicts: VerdictEntry[]; warnings: string[] }>()(none),
  /** starts a curation round on the open project with its standing verdicts (a job) */
  'curation:train': channel<{ jobId: string }>()(roundParams.pick({ epochs: true, k: true, options: true, namesFromUris: true }).strict()),
  /** the model's first candidates above the threshold the audit verdicts vouch for (a delivered
   *  precision ≥ `precision`): with `apply`, recorded as verdicts (justification "threshold") */
  'curation:accept': channel<AcceptResult>()(z.object({ precision: z.number().min(0.5).max(0.9999).default(ACCEPT_PRECISION), apply: z.boolean().default(false) })),
  /** the open project's rounds, oldest first */
  'curation:rounds': channel<RoundInfo[]>()(none),
  /** the current round's review queue, with the label and URI of every entity it names */
  'curation:queue': channel<{ round: RoundInfo | null; items: QueueItem[]; entities: Record<number, { label: string; uri: string }> }>()(none),
  /** rolls back the current round: the queue and the next warm start come from the one before */
  'curation:rollback': channel<RoundInfo[]>()(z.object({ round: z.number().int().min(1) })),
  /** undoes the rollback of the last round (while no round came after it) */
  'curation:restore': channel<RoundInfo[]>()(z.object({ round: z.number().int().min(1) })),
  /** exports the confirmed set (optionally with rejections) into <project>/exports/<time>/ */
  'curation:export': channel<{ dir: string; files: string[]; confirmed: number; download: string | null }>()(
    z.object({
      formats: z
        .array(z.enum(EXPORT_FORMATS))
        .min(1)
        .default([...EXPORT_FORMATS]),
      withRejections: z.boolean().default(false),
    }),
  ),
} satisfies Record<ChannelName, { args: z.ZodType; result?: unknown }>;

export type Contract = typeof contract;
/** What a caller passes (defaults may be omitted). */
export type ArgsOf<C extends ChannelName> = z.input<Contract[C]['args']>;
/** What a handler receives (defaults filled in, validated). */
export type ParsedArgsOf<C extends ChannelName> = z.output<Contract[C]['args']>;
export type ResultOf<C extends ChannelName> = Exclude<Contract[C]['result'], undefined>;

export interface EventPayloads {
  'jobs:progress': JobProgress;
  'jobs:done': { jobId: string; kind: JobKind; project: string | null; result: unknown };
  'jobs:error': { jobId: string; kind: JobKind; project: string | null; error: ErrorPayload };
  'jobs:cancelled': { jobId: string; kind: JobKind; project: string | null };
  'project:opened': ProjectSummary;
}
// Every event name has a payload type and vice versa.
type _EventsComplete = [EventName] extends [keyof EventPayloads] ? ([keyof EventPayloads] extends [EventName] ? true : never) : never;
export const _eventsComplete: _EventsComplete = true;

export interface EventMessage<E extends EventName = EventName> {
  event: E;
  payload: EventPayloads[E];
}
