import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ProjectSummary } from '../../../shared/types';
import { getApi } from '../lib/api';

export const useProjectStore = defineStore('project', () => {
  const summary = ref<ProjectSummary | null>(null);
  const opening = ref(false);
  const error = ref<string | null>(null);

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

  getApi().on('project:opened', (s) => (summary.value = s));
  return { summary, opening, error, openCurrentOrDemo, open };
});
