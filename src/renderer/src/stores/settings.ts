// The app's settings, kept by the backend in its home (shared by every window and browser tab):
// the curator's name, recorded with every verdict and so in every export, asked for once.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppSettings } from '../../../shared/contract';
import { getApi } from '../lib/api';

export const useSettingsStore = defineStore('settings', () => {
  const api = getApi();
  const settings = ref<AppSettings | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      settings.value = await api.settings.get();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function update(change: Partial<AppSettings>): Promise<void> {
    try {
      settings.value = await api.settings.set(change);
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  void load();
  return { settings, error, load, update };
});
