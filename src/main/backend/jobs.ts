// The one long-job protocol: start -> progress (fraction, stage, ETA) -> done | error | cancelled,
// by job id. Each job runs in its own engine process; cancel asks it to stop and kills it if it
// has not stopped within the grace period, then removes whatever scratch files it left.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { EventMessage, EventPayloads } from '../../shared/contract';
import { MmeaError, type ErrorPayload } from '../../shared/errors';
import type { JobInfo, JobKind, JobProgress, JobState } from '../../shared/types';
import { JOBS } from '../../engine/jobs';
import type { EngineChild, SpawnEngine } from './engineHost';

interface Job {
  info: JobInfo;
  child: EngineChild;
  settled: Promise<unknown>;
  cancelRequested: boolean;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly spawn: SpawnEngine,
    private readonly emit: (msg: EventMessage) => void,
    private readonly graceMs = 2000,
  ) {}

  /** Starts a job; `title` names it in the job bar (the kind when absent). */
  start(kind: JobKind, params: unknown, title: string = kind): string {
    const jobId = randomUUID();
    const child = this.spawn();
    const project = typeof (params as { project?: unknown })?.project === 'string' ? (params as { project: string }).project : null;
    const info: JobInfo = { jobId, kind, project, title, state: 'running', startedAt: Date.now(), progress: null, series: [] };
    let resolveJob!: (v: unknown) => void;
    let rejectJob!: (e: MmeaError) => void;
    const settled = new Promise<unknown>((res, rej) => {
      resolveJob = res;
      rejectJob = rej;
    });
    settled.catch(() => {}); // callers that do not wait must not see an unhandled rejection
    const job: Job = { info, child, settled, cancelRequested: false };
    this.jobs.set(jobId, job);

    const finish = (state: JobState, error?: ErrorPayload, result?: unknown) => {
      if (info.state !== 'running') return;
      info.state = state;
      child.kill();
      if (state === 'done') {
        this.send('jobs:done', { jobId, kind, project, result });
        resolveJob(result);
        return;
      }
      // a job that did not finish may have left scratch files
      void Promise.all(JOBS[kind].scratchPaths(params as never, jobId).map((p) => rm(p, { recursive: true, force: true }))).finally(() => {
        if (state === 'cancelled') {
          this.send('jobs:cancelled', { jobId, kind, project });
          rejectJob(new MmeaError('cancelled', `job ${jobId} was cancelled`));
        } else {
          const err = error ?? { code: 'engine' as const, message: 'the engine process failed' };
          this.send('jobs:error', { jobId, kind, project, error: err });
          rejectJob(new MmeaError(err.code, err.message, err.details));
        }
      });
    };

    child.onMessage((msg) => {
      switch (msg.type) {
        case 'ready':
          child.send({ type: 'start', jobId, kind, params });
          break;
        case 'progress': {
          const elapsed = (Date.now() - info.startedAt) / 1000;
          const eta = msg.fraction > 0.02 && msg.fraction < 1 ? (elapsed * (1 - msg.fraction)) / msg.fraction : null;
          const p: JobProgress = { jobId, kind, project, fraction: msg.fraction, stage: msg.stage, etaSeconds: eta, message: msg.message, ...(msg.data && { data: msg.data }) };
          info.progress = p;
          if (msg.data) info.series.push(msg.data);
          this.send('jobs:progress', p);
          break;
        }
        case 'done':
          finish('done', undefined, msg.result);
          break;
        case 'error':
          finish('error', msg.error);
          break;
        case 'cancelled':
          finish('cancelled');
          break;
      }
    });
    child.onExit((code) => {
      if (job.cancelRequested) finish('cancelled');
      else finish('error', { code: 'engine', message: `the engine process exited (code ${code ?? 'signal'}) before finishing` });
    });
    return jobId;
  }

  /** Asks a running job to stop; kills its process if it is still running after the grace period. */
  cancel(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) throw new MmeaError('not-found', `no job ${jobId}`);
    if (job.info.state !== 'running') return false;
    job.cancelRequested = true;
    job.child.send({ type: 'cancel' });
    const timer = setTimeout(() => job.child.kill(), this.graceMs);
    job.settled.finally(() => clearTimeout(timer)).catch(() => {});
    return true;
  }

  /** Resolves with the job's result; rejects with its error (code 'cancelled' when cancelled). */
  wait(jobId: string): Promise<unknown> {
    const job = this.jobs.get(jobId);
    if (!job) return Promise.reject(new MmeaError('not-found', `no job ${jobId}`));
    return job.settled;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info, series: [...j.info.series] }));
  }

  /** The running job of `kind` on `project`, if any. */
  running(kind: JobKind, project: string): JobInfo | null {
    return [...this.jobs.values()].find((j) => j.info.state === 'running' && j.info.kind === kind && j.info.project === project)?.info ?? null;
  }

  /** Stops every running job (on quit). */
  async dispose(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.info.state === 'running');
    for (const j of running) this.cancel(j.info.jobId);
    await Promise.allSettled(running.map((j) => j.settled));
  }

  private send<E extends keyof EventPayloads>(event: E, payload: EventPayloads[E]): void {
    this.emit({ event, payload } as EventMessage);
  }
}
