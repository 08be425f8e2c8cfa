import { defineStore } from 'pinia';
import { reactive } from 'vue';
import type { ErrorPayload } from '../../../shared/errors';
import type { JobKind, JobProgress } from '../../../shared/types';
import { getApi } from '../lib/api';

export interface JobView {
  jobId: string;
  kind: JobKind;
  state: 'running' | 'done' | 'error' | 'cancelled';
  progress: JobProgress | null;
  error: ErrorPayload | null;
  /** the figures the job reported with its progress (a round's epoch and loss), for a live chart */
  series: Record<string, number>[];
}

export const useJobsStore = defineStore('jobs', () => {
  const jobs = reactive(new Map<string, JobView>());
  const view = (jobId: string, kind: JobKind): JobView => {
    let j = jobs.get(jobId);
    if (!j) {
      j = { jobId, kind, state: 'running', progress: null, error: null, series: [] };
      jobs.set(jobId, j);
    }
    return jobs.get(jobId)!;
  };
  const api = getApi();
  api.on('jobs:progress', (p) => {
    const j = view(p.jobId, p.kind);
    j.progress = p;
    if (p.data) j.series.push(p.data);
  });
  api.on('jobs:done', (p) => (view(p.jobId, p.kind).state = 'done'));
  api.on('jobs:cancelled', (p) => (view(p.jobId, p.kind).state = 'cancelled'));
  api.on('jobs:error', (p) => {
    const j = view(p.jobId, p.kind);
    j.state = 'error';
    j.error = p.error;
  });

  async function cancel(jobId: string): Promise<void> {
    await api.jobs.cancel({ jobId });
  }

  function dismiss(jobId: string): void {
    jobs.delete(jobId);
  }

  return { jobs, cancel, dismiss };
});
