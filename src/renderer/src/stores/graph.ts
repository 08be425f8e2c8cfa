import { defineStore } from 'pinia';
import { reactive } from 'vue';
import type { EntityDetail, EntityRow, Neighbourhood, Side } from '../../../shared/types';
import { getApi } from '../lib/api';

interface SideState {
  query: string;
  total: number;
  items: EntityRow[];
  selected: number | null;
  detail: EntityDetail | null;
  neighbourhood: Neighbourhood | null;
  hops: 1 | 2;
  loading: boolean;
  error: string | null;
}

const fresh = (): SideState => ({
  query: '',
  total: 0,
  items: [],
  selected: null,
  detail: null,
  neighbourhood: null,
  hops: 2,
  loading: false,
  error: null,
});

export const useGraphStore = defineStore('graph', () => {
  const sides = reactive<Record<Side, SideState>>({ 1: fresh(), 2: fresh() });
  // drop answers to superseded requests (typing fast in the search box, clicking fast)
  const seq: Record<Side, { list: number; select: number }> = { 1: { list: 0, select: 0 }, 2: { list: 0, select: 0 } };

  async function search(side: Side, query: string): Promise<void> {
    const s = sides[side];
    s.query = query;
    const my = ++seq[side].list;
    try {
      const res = await getApi().graph.entities({ side, query: query || undefined, limit: 200 });
      if (my !== seq[side].list) return;
      s.total = res.total;
      s.items = res.items;
      s.error = null;
    } catch (e) {
      s.error = (e as Error).message;
    }
  }

  /** Selects an entity; a training seed also selects its counterpart on the other side. */
  async function select(side: Side, id: number, follow = true): Promise<void> {
    const s = sides[side];
    s.selected = id;
    s.loading = true;
    const my = ++seq[side].select;
    try {
      const [detail, neighbourhood] = await Promise.all([getApi().graph.entity({ id }), getApi().graph.neighbourhood({ id, hops: s.hops, maxNodes: 200 })]);
      if (my !== seq[side].select) return;
      s.detail = detail;
      s.neighbourhood = neighbourhood;
      s.error = null;
      if (follow && detail.seedCounterpart !== null) await select(side === 1 ? 2 : 1, detail.seedCounterpart, false);
    } catch (e) {
      s.error = (e as Error).message;
    } finally {
      if (my === seq[side].select) s.loading = false;
    }
  }

  async function setHops(side: Side, hops: 1 | 2): Promise<void> {
    sides[side].hops = hops;
    const id = sides[side].selected;
    if (id !== null) await select(side, id, false);
  }

  async function reset(): Promise<void> {
    for (const side of [1, 2] as const) Object.assign(sides[side], fresh());
    await Promise.all([search(1, ''), search(2, '')]);
    const first = sides[1].items.find((e) => e.seedCounterpart !== null) ?? sides[1].items[0];
    if (first) await select(1, first.id);
  }

  return { sides, search, select, setHops, reset };
});
