// Every job the backend runs, as this page knows it: rehydrated from `jobs:list` when the page
// opens (a reload mid-round still shows the round, its progress and its whole curve), then kept up
// to date by the job events, which the backend sends to every open page.
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import type { ErrorPayload } from '../../../shared/errors';
import type { JobInfo, JobKind, JobProgress } from '../../../shared/types';
import { getApi } from '../lib/api';

export interface JobView {
  jobId: string;
  kind: JobKind;
  /** the project folder the job works on, if any */
  project: string | null;
  title: string;
  state: 'running' | 'done' | 'error' | 'cancelled';
  progress: JobProgress | null;
  error: ErrorPayload | null;
  /** the figures the job reported with its progress (a round's epoch and loss), for a live chart */
  series: Record<string, number>[];
}

export const useJobsStore = defineStore('jobs', () => {
  const jobs = reactive(new Map<string, JobView>());
  const api = getApi();
  const view = (jobId: string, kind: JobKind, project: string | null): JobView => {
    if (!jobs.has(jobId)) {
      jobs.set(jobId, { jobId, kind, project, title: kind, state: 'running', progress: null, error: null, series: [] });
      void api.jobs.list().then(rehydrate, () => {}); // a job this page has not seen: its title and curve so far
    }
    return jobs.get(jobId)!;
  };
  api.on('jobs:progress', (p) => {
    const j = view(p.jobId, p.kind, p.project);
    j.progress = p;
    if (p.data) j.series.push(p.data);
  });
  api.on('jobs:done', (p) => {
    view(p.jobId, p.kind, p.project).state = 'done';
    // an import that succeeded supersedes the failed ones before it: their reports go
    if (p.kind === 'import') for (const j of [...jobs.values()]) if (j.kind === 'import' && j.state === 'error') jobs.delete(j.jobId);
  });
  api.on('jobs:cancelled', (p) => (view(p.jobId, p.kind, p.project).state = 'cancelled'));
  api.on('jobs:error', (p) => {
    const j = view(p.jobId, p.kind, p.project);
    j.state = 'error';
    j.error = p.error;
  });

  /** Takes the backend's list of jobs (on opening the page): running ones with their progress so far. */
  function rehydrate(list: JobInfo[]): void {
    for (const info of list) {
      if (info.state !== 'running' && !jobs.has(info.jobId)) continue; // finished before this page: nothing to show
      const j = view(info.jobId, info.kind, info.project);
      j.title = info.title;
      j.progress = info.progress;
      // events that arrived while the list was on its way are already in; keep the longer curve
      if (info.series.length > j.series.length) j.series = info.series;
      if (j.state === 'running') j.state = info.state;
    }
  }
  void api.jobs.list().then(rehydrate, () => {});

  /** The newest job of `kind` on `project` (a round's), whichever page started it. */
  function latest(kind: JobKind, project: string | null | undefined): JobView | null {
    let out: JobView | null = null;
    for (const j of jobs.values()) if (j.kind === kind && j.project === project) out = j;
    return out;
  }

  async function cancel(jobId: string): Promise<void> {
    await api.jobs.cancel({ jobId });
  }

  function dismiss(jobId: string): void {
    jobs.delete(jobId);
  }

  return { jobs, cancel, dismiss, latest, rehydrate };
});
