// Main's backend: the handlers of every contract channel, free of Electron so the same code serves
// the Electron window (over IPC), browser mode (over the bridge), and tests.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CHANNELS, type ChannelName } from '../../shared/channels';
import { contract, type EventMessage, type ParsedArgsOf, type ResultOf } from '../../shared/contract';
import { MmeaError, toErrorPayload, type Envelope } from '../../shared/errors';
import type { ProjectSummary } from '../../shared/types';
import { isProject, Project } from '../../engine/data/project';
import { Journal, unknownEntity } from '../../engine/curation/journal';
import { mappingsOf, writeExports } from '../../engine/curation/export';
import { planAcceptance, valuedQueue, type AcceptPlan } from '../../engine/curation/accept';
import { ACCEPT_PRECISION, describeThresholds } from '../../shared/curation';
import { restoreRound, rollBack, sweepRoundScratch } from '../../engine/curation/rounds';
import { RoundsCache } from './roundsCache';
import { Home } from './home';
import type { SpawnEngine } from './engineHost';
import { JobManager } from './jobs';
import { Thumbnails } from '../../engine/data/thumbnails';
import { isInside } from '../../engine/data/images';

/** A path with its links resolved, without blocking main (itself when it cannot be resolved). */
const resolved = (path: string) => realpath(path).catch(() => path);

export interface BackendOptions {
  /** folder for the app's own data (projects created by the app, settings) */
  home: string;
  /** the app's resources folder (holds demo/) */
  resources: string;
  spawnEngine: SpawnEngine;
  mode: 'electron' | 'browser';
  version: string;
}

type Handlers = { [C in ChannelName]: (args: ParsedArgsOf<C>) => Promise<ResultOf<C>> };

export class Backend {
  readonly jobs: JobManager;
  readonly home: Home;
  /** the open project's rounds and queues, read once (invalidated when they change) */
  private readonly rounds = new RoundsCache();
  readonly handlers: Handlers;
  private readonly events = new EventEmitter();
  private project: Project | null = null;
  /** the open project's verdict journal, and the warnings its opening gave */
  private journal: { journal: Journal; warnings: string[] } | null = null;
  private demoImport: Promise<unknown> | null = null;
  /** the open project's thumbnails, and which of its image files it may serve (each checked once,
   *  asynchronously: thumbnails are asked for on every pair shown) */
  private thumbnails: { path: string; cache: Thumbnails; served: Map<string, Promise<boolean>>; root: Promise<string> } | null = null;

  constructor(readonly options: BackendOptions) {
    this.jobs = new JobManager(options.spawnEngine, (msg) => this.events.emit('event', msg));
    this.home = new Home(options.home);
    // a round that ends changes the rounds and adds a queue
    this.events.on('event', (msg: EventMessage) => {
      if (msg.event === 'jobs:done' && (msg.payload as { kind: string }).kind === 'round') this.rounds.invalidate();
    });
    // a killed import (the app killed mid-import) left its scratch folder: nothing of ours runs yet
    for (const n of this.home.sweepScratch()) console.warn(`mmea: removed the scratch folder of an interrupted import: ${n}`);
    this.handlers = {
      'app:info': async () => ({
        version: options.version,
        mode: options.mode,
        platform: process.platform,
        home: options.home,
      }),
      'project:openDemo': async () => this.openDemo(),
      'project:open': async ({ path }) => this.open(resolve(path)),
      'project:current': async () => this.project?.summary() ?? null,
      'project:list': async () => this.home.list(this.project?.path ?? null),
      'project:remove': async ({ path }) => {
        this.home.remove(path, this.project?.path ?? null);
        return this.home.list(this.project?.path ?? null);
      },
      'settings:get': async () => this.home.settings(),
      'settings:set': async (change) => this.home.updateSettings(change),
      'project:create': async (args) => {
        const project = this.newProjectPath(args.name);
        return { jobId: this.jobs.start('import', { ...args, project }, `import of ${args.name}`), project };
      },
      'graph:entities': async ({ side, query, offset, limit }) => this.current().entities(side, query, offset, limit),
      'graph:entity': async ({ id, maxRelations }) => this.current().entity(id, maxRelations),
      'images:thumbnail': async ({ id, index, size }) => {
        const p = this.current();
        const file = p.imagesOf(id)[index];
        if (file === undefined) throw new MmeaError('not-found', `entity ${id} has no image ${index}`);
        if (this.thumbnails?.path !== p.path) this.thumbnails = { path: p.path, cache: new Thumbnails(p.path), served: new Map(), root: resolved(p.manifest.source.path) };
        const t = this.thumbnails;
        // only the files the project owns: inside its dataset folder (a project written before
        // imports checked this, or edited by hand, may name others)
        let ok = t.served.get(file);
        if (!ok) t.served.set(file, (ok = Promise.all([t.root, resolved(file)]).then(([root, real]) => isInside(root, real))));
        if (!(await ok)) throw new MmeaError('forbidden', `image ${file} is outside the project's dataset folder; not served`);
        return t.cache.get(file, size);
      },
      'graph:neighbourhood': async ({ id, hops, maxNodes }) => this.current().neighbourhood(id, hops, maxNodes),
      'jobs:start': async (args) => ({ jobId: this.jobs.start(args.kind, args.params) }),
      'jobs:cancel': async ({ jobId }) => ({ cancelled: this.jobs.cancel(jobId) }),
      'jobs:list': async () => this.jobs.list(),
      'verdicts:record': async (v) => {
        const unknown = unknownEntity(this.current(), v.source, v.target);
        if (unknown) throw new MmeaError('not-found', unknown);
        return this.verdicts().journal.appendAsync(v);
      },
      'verdicts:list': async () => {
        const { journal, warnings } = this.verdicts();
        return { verdicts: [...journal.state().values()], warnings };
      },
      'curation:train': async ({ epochs, k, options, namesFromUris }) => {
        const standing = [...this.verdicts().journal.state().values()];
        const pairs = (verdict: 'confirm' | 'reject') => standing.filter((v) => v.verdict === verdict && v.target !== null).map((v) => [v.source, v.target!] as [string, string]);
        const none = standing.filter((v) => v.verdict === 'none').map((v) => v.source);
        const audited = standing.filter((v) => v.audit).map((v) => v.source);
        const p = this.current();
        // one round at a time per project: two would train from the same verdicts and write the same round
        this.refuseWhileRoundRuns(p, 'starting another');
        const next = (this.rounds.list(p.path).at(-1)?.round ?? 0) + 1; // as the round job numbers it
        const title = `round ${next} on ${p.manifest.name}${epochs === undefined ? '' : `, ${epochs} epochs`}`;
        return { jobId: this.jobs.start('round', { project: p.path, epochs, k, options, namesFromUris, confirmed: pairs('confirm'), rejected: pairs('reject'), none, audited }, title) };
      },
      'curation:accept': async ({ precision, apply }) => {
        const p = this.current();
        const round = this.rounds.current(p.path);
        if (!round) throw new MmeaError('not-found', 'no round yet: train one first');
        const { journal } = this.verdicts();
        const uri = (id: number) => p.nameOf(id).uri;
        const plan = planAcceptance(await this.rounds.queue(p.path, round.round), journal.state().values(), uri, precision);
        const rule = describeThresholds(plan.thresholds);
        const note = (a: AcceptPlan['accept'][number]) =>
          `acceptKey ${a.confidence.toFixed(4)} ≥ the ${a.tier} tier's threshold ${plan.thresholds[a.tier].toFixed(4)} (calibrated on its ${plan.tierAudits[a.tier] ?? 0} audit verdicts for a delivered precision ${precision})`;
        const recorded = apply
          ? (
              await journal.appendAllAsync(
                plan.accept.map((a) => ({
                  source: uri(a.source),
                  target: uri(a.target),
                  verdict: 'confirm' as const,
                  curator: 'model',
                  round: round.round,
                  score: a.score,
                  justification: 'threshold' as const,
                  risk: a.risk,
                  tier: a.tier,
                  note: note(a),
                })),
              )
            ).length
          : 0;
        return { rule, audits: plan.audits, auditsRight: plan.auditsRight, confirmed: plan.confirmed, accepted: plan.accept.length, recorded };
      },
      'curation:rounds': async () => this.rounds.list(this.current().path),
      'curation:queue': async () => {
        const p = this.current();
        const round = this.rounds.current(p.path);
        if (!round) return { round: null, items: [], entities: {} };
        // the value order spends reviews where "accept above threshold" does not reach yet
        const standing = this.verdicts().journal.state();
        const { items } = valuedQueue(await this.rounds.queue(p.path, round.round), standing.values(), (id) => p.nameOf(id).uri, ACCEPT_PRECISION);
        const entities: Record<number, { label: string; uri: string }> = {};
        const name = (id: number) => (entities[id] ??= p.nameOf(id));
        for (const q of items) {
          name(q.source);
          for (const c of q.candidates) name(c.target);
        }
        for (const d of round.disagreements) [d.source, d.target, d.modelFirst].forEach(name);
        for (const c of round.changed) [c.source, c.before, c.after].forEach((id) => id !== null && name(id));
        for (const v of round.verdictFlips ?? []) [v.source, v.target].forEach((id) => id !== null && name(id));
        // the entities of every standing verdict, so progress counts what earlier rounds decided too
        for (const v of standing.values()) {
          const s = p.idOfUri(1, v.source);
          const t = v.target === null ? undefined : p.idOfUri(2, v.target);
          if (s !== undefined) name(s);
          if (t !== undefined) name(t);
        }
        return { round, items, entities };
      },
      'curation:rollback': async ({ round }) => {
        this.refuseWhileRoundRuns(this.current(), 'rolling back');
        rollBack(this.current().path, round);
        this.rounds.invalidate();
        return this.rounds.list(this.current().path);
      },
      'curation:restore': async ({ round }) => {
        this.refuseWhileRoundRuns(this.current(), 'restoring a round');
        restoreRound(this.current().path, round);
        this.rounds.invalidate();
        return this.rounds.list(this.current().path);
      },
      'curation:export': async ({ formats, withRejections }) => {
        const p = this.current();
        const mappings = mappingsOf(p, this.verdicts().journal.state().values(), withRejections);
        const created = new Date().toISOString();
        const dir = join(p.path, 'exports', created.replace(/[:.]/g, '-'));
        mkdirSync(dir, { recursive: true });
        const files = writeExports(dir, formats, mappings, { name: p.manifest.name, created, tool: `MMEA Studio ${options.version}` });
        // browser mode: the bridge serves the files of the open project's exports at this path
        const download = options.mode === 'browser' ? `/download/${basename(dir)}/` : null;
        return { dir, files, confirmed: mappings.filter((m) => m.verdict === 'confirm').length, download };
      },
    };
  }

  /** Validates a request against the contract, runs its handler, and wraps the outcome. */
  async dispatch(channel: string, rawArgs: unknown): Promise<Envelope<unknown>> {
    if (!(CHANNELS as readonly string[]).includes(channel)) {
      return { ok: false, error: { code: 'unknown-channel', message: `unknown channel: ${String(channel).slice(0, 100)}` } };
    }
    const c = channel as ChannelName;
    const parsed = contract[c].args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'invalid-args',
          message: `${c}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`,
        },
      };
    }
    try {
      const handler = this.handlers[c] as (a: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: toErrorPayload(err) };
    }
  }

  onEvent(listener: (msg: EventMessage) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  async open(path: string): Promise<ProjectSummary> {
    this.project = await Project.open(path);
    this.rounds.invalidate();
    // a round killed with the app left rounds/.partial-<job>: none of ours runs on this project now
    if (!this.jobs.running('round', this.project.path)) sweepRoundScratch(this.project.path);
    this.home.remember(this.project.path);
    this.journal?.journal.close();
    this.journal = null; // opened with the first verdict request
    const summary = this.project.summary();
    this.events.emit('event', { event: 'project:opened', payload: summary } satisfies EventMessage);
    return summary;
  }

  /** Opens the bundled demo project, importing it (as a job, with progress events) the first time. */
  async openDemo(): Promise<ProjectSummary> {
    const target = join(this.options.home, 'projects', 'demo');
    if (!isProject(target)) {
      const source = join(this.options.resources, 'demo', 'dataset');
      if (!existsSync(source)) throw new MmeaError('not-found', `demo dataset missing: ${source}`);
      // two windows asking at once share one import
      this.demoImport ??= this.jobs.wait(this.jobs.start('import', { source, project: target, name: 'Demo: FB15K–DB15K slice' }, 'import of the demo project')).finally(() => (this.demoImport = null));
      await this.demoImport;
    }
    return this.open(target);
  }

  /** One round at a time per project: what changes the rounds waits for the running one. */
  private refuseWhileRoundRuns(p: Project, doing: string): void {
    const running = this.jobs.running('round', p.path);
    if (running)
      throw new MmeaError('conflict', `a round is already running on ${p.manifest.name} (started ${new Date(running.startedAt).toLocaleTimeString()}): wait for it or cancel it before ${doing}`);
  }

  /** The file `name` of the open project's export `dir` (browser mode's downloads), or an error:
   *  only plain names inside <project>/exports/ are served. */
  exportFile(dir: string, name: string): string {
    const p = this.current();
    if (!/^[\w.-]+$/.test(dir) || !/^[\w.-]+$/.test(name) || dir.startsWith('.') || name.startsWith('.')) throw new MmeaError('not-found', 'no such export');
    const file = join(p.path, 'exports', dir, name);
    if (!existsSync(file)) throw new MmeaError('not-found', `no export file ${dir}/${name}`);
    return file;
  }

  /** A fresh folder under <home>/projects named after the project. */
  private newProjectPath(name: string): string {
    const slug =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 60) || 'project';
    const base = this.home.projectsDir;
    let path = join(base, slug);
    for (let i = 2; existsSync(path); i++) path = join(base, `${slug}-${i}`);
    return path;
  }

  private verdicts(): { journal: Journal; warnings: string[] } {
    this.journal ??= Journal.open(this.current().path);
    return this.journal;
  }

  private current(): Project {
    if (!this.project) throw new MmeaError('no-project', 'no project is open');
    return this.project;
  }

  async dispose(): Promise<void> {
    this.journal?.journal.close();
    this.journal = null;
    await this.jobs.dispose();
    this.events.removeAllListeners();
  }
}
