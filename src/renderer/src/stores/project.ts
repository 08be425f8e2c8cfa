import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ArgsOf, ProjectListEntry } from '../../../shared/contract';
import type { ProjectSummary } from '../../../shared/types';
import { getApi } from '../lib/api';

export const useProjectStore = defineStore('project', () => {
  const summary = ref<ProjectSummary | null>(null);
  const opening = ref(false);
  const error = ref<string | null>(null);
  const createError = ref<string | null>(null);
  /** the projects the app knows (loaded when the list is opened) */
  const list = ref<ProjectListEntry[] | null>(null); // null: not loaded yet
  /** project folders being created, by job id: opened when their import job is done */
  const creating = new Map<string, string>();

  /** Shows the open project, or opens the bundled demo when none is open. */
  async function openCurrentOrDemo(): Promise<void> {
    opening.value = true;
    error.value = null;
    try {
      summary.value = (await getApi().project.current()) ?? (await getApi().project.openDemo());
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      opening.value = false;
    }
  }

  async function open(path: string): Promise<void> {
    opening.value = true;
    error.value = null;
    try {
      summary.value = await getApi().project.open({ path });
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      opening.value = false;
    }
  }

  /** Starts importing a dataset into a new project; the job bar shows progress and any error report. */
  async function create(args: ArgsOf<'project:create'>): Promise<void> {
    createError.value = null;
    try {
      const { jobId, project } = await getApi().project.create(args);
      creating.set(jobId, project);
    } catch (e) {
      createError.value = (e as Error).message;
    }
  }

  getApi().on('project:opened', (s) => (summary.value = s));
  getApi().on('jobs:done', ({ jobId }) => {
    const path = creating.get(jobId);
    if (path) {
      creating.delete(jobId);
      void open(path);
    }
  });
  async function refreshList(): Promise<void> {
    list.value = null;
    try {
      list.value = await getApi().project.list();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** Deletes a project the app created, or forgets one opened from elsewhere. */
  async function remove(path: string): Promise<void> {
    try {
      list.value = await getApi().project.remove({ path });
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  return { summary, opening, error, createError, list, openCurrentOrDemo, open, create, refreshList, remove };
});
