// The review: the current round's queue, the standing verdicts, the selection, blind mode, and the
// curator's undo/redo history. Every verdict goes through `verdicts:record`, which answers only once
// the journal line is on disk; the queue shows a verdict as saved from that answer on. Undo writes
// the inverse verdict (the journal keeps both), so the history survives anything but is unlimited.
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import { brokenPairs, conflictOf, orderQueue, type QueueItem, type QueueOrder } from '../../../shared/curation';
import type { ExportFormat } from '../../../shared/exportFormats';
import type { ModelOptionsInput } from '../../../shared/models';
import type { AcceptResult, EntityDetail, Neighbourhood, RoundInfo, Thumbnail } from '../../../shared/types';
import { keyOf, type Verdict, type VerdictEntry } from '../../../shared/verdicts';
import { getApi } from '../lib/api';
import { useSettingsStore } from './settings';

export type ItemStatus = 'open' | 'confirmed' | 'rejected' | 'none' | 'skipped';

/** One undoable step: the verdicts it changed, each with what stood before (undefined: nothing). */
interface Step {
  changes: { source: string; target: string | null; before: VerdictEntry | undefined; after: { verdict: Verdict; audit?: boolean } | null }[];
}

const CACHE = 400;
/** thumbnails shown per entity, and their size (the larger view asks for LARGE_IMAGE) */
export const THUMBS_SHOWN = 4;
export const THUMB_SIZE = 160;
export const LARGE_IMAGE = 800;

export const useCurationStore = defineStore('curation', () => {
  const api = getApi();
  const round = ref<RoundInfo | null>(null);
  const rounds = ref<RoundInfo[]>([]);
  const items = shallowRef<QueueItem[]>([]);
  const entities = shallowRef<Record<number, { label: string; uri: string }>>({});
  const standing = reactive(new Map<string, VerdictEntry>());
  const order = ref<QueueOrder>('value');
  const filter = ref<'all' | ItemStatus>('all');
  const search = ref('');
  const blind = ref(false);
  // the curator's name is an app setting (kept by the backend, asked for once): every verdict carries it
  const settings = useSettingsStore();
  const curator = computed(() => settings.settings?.curator ?? '');
  // The selection is an entity, never a row index: re-ordering, filtering or searching the queue
  // must not put another item (with another item's candidate) under the cursor. The candidate chosen
  // is remembered per item, by target entity, so it can only ever belong to its own item.
  const selectedSource = ref<number | null>(null);
  const choices = reactive(new Map<number, number>()); // source id → chosen candidate's target id
  const error = ref<string | null>(null);
  const saving = ref(0);
  const undoStack: Step[] = [];
  const redoStack: Step[] = [];
  const history = ref({ undo: 0, redo: 0 });
  const loading = ref(false);
  const lastExport = ref<{ dir: string; files: string[]; confirmed: number; download: string | null } | null>(null);

  const label = (id: number) => entities.value[id]?.label ?? String(id);
  const uri = (id: number) => entities.value[id]?.uri ?? '';

  /** entity id by URI, for the entities the queue names */
  const idOf = computed(() => {
    const m = new Map<string, number>();
    for (const [id, e] of Object.entries(entities.value)) m.set(e.uri, Number(id));
    return m;
  });
  const itemOf = computed(() => new Map(items.value.map((q) => [q.source, q] as const)));

  /** standing confirmations by entity id, both ways (for 1-to-1 conflicts) */
  const confirmed = computed(() => {
    const bySource = new Map<number, number>();
    const byTarget = new Map<number, number>();
    for (const v of standing.values()) {
      if (v.verdict !== 'confirm' || v.target === null) continue;
      const s = idOf.value.get(v.source);
      const t = idOf.value.get(v.target);
      if (s !== undefined && t !== undefined) {
        bySource.set(s, t);
        byTarget.set(t, s);
      }
    }
    return { bySource, byTarget };
  });

  function verdictOf(source: number, target: number | null): VerdictEntry | undefined {
    return standing.get(keyOf(uri(source), target === null ? null : uri(target)));
  }

  /** the status of every source with a standing verdict (built from the verdicts, not the queue:
   *  a verdict costs work in proportion to the verdicts, not to the 15,000 items) */
  const statuses = computed(() => {
    const out = new Map<number, ItemStatus>();
    const rejectedSources = new Set<number>();
    for (const v of standing.values()) {
      const s = idOf.value.get(v.source);
      if (s === undefined) continue;
      if (v.target === null && (v.verdict === 'none' || v.verdict === 'skip')) out.set(s, v.verdict === 'none' ? 'none' : 'skipped');
      else if (v.verdict === 'reject') rejectedSources.add(s);
    }
    for (const s of rejectedSources) {
      const q = itemOf.value.get(s);
      if (q && out.get(s) !== 'none' && q.candidates.every((c) => verdictOf(s, c.target)?.verdict === 'reject')) out.set(s, 'rejected');
    }
    for (const s of confirmed.value.bySource.keys()) out.set(s, 'confirmed');
    return out;
  });

  const statusOf = (q: QueueItem): ItemStatus => statuses.value.get(q.source) ?? 'open';

  /** Progress over the whole review, every round: a source decided in an earlier round (and so no
   *  longer in this round's queue) still counts, as reviewed and in the total. */
  const counts = computed(() => {
    const c = { total: items.value.length, reviewed: 0, confirmed: 0, rejected: 0, none: 0, skipped: 0 };
    for (const [s, st] of statuses.value) {
      if (!itemOf.value.has(s)) c.total++;
      c.reviewed++;
      c[st as Exclude<ItemStatus, 'open'>]++; // statuses holds no 'open'
    }
    return c;
  });

  /** the queue as shown: ordered, filtered by status and searched by label */
  const visible = computed(() => {
    const q = search.value.trim().toLowerCase();
    const f = filter.value;
    return orderQueue(items.value, order.value).filter(
      (it) => (f === 'all' || statusOf(it) === f) && (!q || label(it.source).toLowerCase().includes(q) || it.candidates.some((c) => label(c.target).toLowerCase().includes(q))),
    );
  });

  /** the selected item's row in `visible` (-1: none) */
  const selected = computed(() => (selectedSource.value === null ? -1 : visible.value.findIndex((q) => q.source === selectedSource.value)));
  const current = computed<QueueItem | null>(() => (selected.value >= 0 ? visible.value[selected.value]! : null));
  /** the index of the chosen candidate in the selected item's list (the first unless one was chosen) */
  const candidate = computed<number>({
    get: () => {
      const q = current.value;
      if (!q) return 0;
      const t = choices.get(q.source);
      return Math.max(0, t === undefined ? 0 : q.candidates.findIndex((c) => c.target === t));
    },
    set: (i) => {
      const q = current.value;
      const c = q?.candidates[i];
      if (q && c) choices.set(q.source, c.target);
    },
  });
  /** The target a queue row names: the confirmed one when the item is decided, else its chosen
   *  candidate (the pair a verdict on it would decide), else none. */
  function shownTarget(q: QueueItem): number | null {
    const t = confirmed.value.bySource.get(q.source);
    if (t !== undefined) return t;
    const chosen = choices.get(q.source);
    return chosen !== undefined && q.candidates.some((c) => c.target === chosen) ? chosen : (q.candidates[0]?.target ?? null);
  }
  // when the selected entity leaves the list (a filter, a search), the top of the new list is selected
  watch(visible, (list) => {
    if (selectedSource.value === null || !list.some((q) => q.source === selectedSource.value)) selectedSource.value = list[0]?.source ?? null;
  });

  function conflict(source: number, target: number): string | null {
    const why = conflictOf(source, target, confirmed.value.bySource, confirmed.value.byTarget);
    if (!why) return null;
    // name the other entity by its label, not its id
    const other = why.includes('source') ? confirmed.value.bySource.get(source)! : confirmed.value.byTarget.get(target)!;
    return why.replace(String(other), `“${label(other)}”`);
  }

  // entity details and neighbourhoods, cached (the evidence of the next item is prefetched)
  const details = new Map<number, Promise<EntityDetail>>();
  const hoods = new Map<string, Promise<Neighbourhood>>();
  function cached<K, V>(m: Map<K, Promise<V>>, k: K, load: () => Promise<V>): Promise<V> {
    let p = m.get(k);
    if (!p) {
      p = load();
      p.catch(() => m.delete(k));
      m.set(k, p);
      if (m.size > CACHE) m.delete(m.keys().next().value as K);
    }
    return p;
  }
  // the review shows attributes and images, never the relation list (thousands for a hub)
  const detail = (id: number) => cached(details, id, () => api.graph.entity({ id, maxRelations: 0 }));
  const thumbs = new Map<string, Promise<Thumbnail>>();
  const thumbnail = (id: number, index: number, size: number) => cached(thumbs, `${id}:${index}:${size}`, () => api.images.thumbnail({ id, index, size }));
  /** an entity's detail with its shown thumbnails loaded (a thumbnail that fails shows its error) */
  const evidenceOf = (id: number) =>
    detail(id).then(async (d) => {
      await Promise.all(Array.from({ length: Math.min(d.images, THUMBS_SHOWN) }, (_, i) => thumbnail(id, i, THUMB_SIZE).catch(() => null)));
      return d;
    });
  const neighbourhood = (id: number, hops: 1 | 2, maxNodes = 40) => cached(hoods, `${id}:${hops}:${maxNodes}`, () => api.graph.neighbourhood({ id, hops, maxNodes }));

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const [q, v, r] = await Promise.all([api.curation.queue(), api.verdicts.list(), api.curation.rounds()]);
      round.value = q.round;
      entities.value = q.entities;
      items.value = q.items;
      rounds.value = r;
      standing.clear();
      for (const e of v.verdicts) standing.set(keyOf(e.source, e.target), e);
      if (v.warnings.length) error.value = v.warnings.join('\n');
      choices.clear(); // a new round's candidates: no earlier choice carries over
      if (selectedSource.value === null || !visible.value.some((q) => q.source === selectedSource.value)) selectedSource.value = visible.value[0]?.source ?? null;
      details.clear();
      hoods.clear();
      thumbs.clear();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  /** Writes verdicts (waiting for each to be on disk) and updates the standing state. */
  async function apply(changes: Step['changes'], direction: 'forward' | 'back'): Promise<void> {
    saving.value++;
    try {
      for (const c of changes) {
        const target = direction === 'forward' ? c.after : c.before;
        const entry = target
          ? await api.verdicts.record({
              source: c.source,
              target: c.target,
              verdict: target.verdict,
              curator: curator.value,
              round: round.value?.round ?? 0,
              score: scoreOf(c.source, c.target),
              ...(target.audit && { audit: true }),
            })
          : await api.verdicts.record({ op: 'clear', source: c.source, target: c.target });
        const key = keyOf(c.source, c.target);
        if (entry.op === 'clear') standing.delete(key);
        else standing.set(key, entry);
      }
    } finally {
      saving.value--;
    }
  }

  function scoreOf(source: string, target: string | null): number | null {
    if (target === null) return null;
    const q = itemOf.value.get(idOf.value.get(source) ?? -1);
    return q?.candidates.find((c) => uri(c.target) === target)?.score ?? null;
  }

  // Writes (verdicts, undo, redo) run one after another in the order the keys were pressed, so the
  // journal, the standing verdicts and the undo stack agree however fast the curator types; the
  // selection does not wait for them (an item shows as reviewed once its verdict is on disk).
  let writes: Promise<unknown> = Promise.resolve();
  function serial<T>(job: () => Promise<T>): Promise<T> {
    const p = writes.then(job);
    writes = p.catch(() => undefined);
    return p;
  }

  /** One undoable step; `build` runs when the writes before it are done (it sees their verdicts). */
  function step(build: () => Step['changes'] | string): Promise<boolean> {
    return serial(async () => {
      error.value = null;
      const changes = build();
      if (typeof changes === 'string') {
        error.value = changes;
        return false;
      }
      try {
        await apply(changes, 'forward');
        undoStack.push({ changes });
        redoStack.length = 0;
        history.value = { undo: undoStack.length, redo: 0 };
        return true;
      } catch (e) {
        error.value = (e as Error).message;
        // refused as contradicting what stands (another window's verdict landed first): take the
        // standing verdicts afresh, so what this window shows and offers is true again
        if ((e as { code?: string }).code === 'conflict') await refreshStanding();
        return false;
      }
    });
  }

  async function refreshStanding(): Promise<void> {
    const v = await api.verdicts.list();
    standing.clear();
    for (const e of v.verdicts) standing.set(keyOf(e.source, e.target), e);
  }

  const change = (source: number, target: number | null, verdict: Verdict, audit: boolean) => {
    const s = uri(source);
    const t = target === null ? null : uri(target);
    return { source: s, target: t, before: standing.get(keyOf(s, t)), after: { verdict, ...(audit && { audit }) } };
  };

  /** Confirm / reject the selected candidate, or say the source has no counterpart / skip it. With
   *  `replace`, a confirm withdraws the standing confirmations it breaks under 1-to-1 (one undoable
   *  step: the clears, then the confirm); without it such a confirm is refused. The backend's journal
   *  holds the same rule, so a confirm that raced another window's is refused there too. */
  async function verdict(v: Verdict, { replace = false }: { replace?: boolean } = {}): Promise<void> {
    const q = current.value;
    if (!q) {
      error.value = 'Nothing is selected: pick an item in the queue first.';
      return;
    }
    const c = q.candidates[candidate.value];
    if ((v === 'confirm' || v === 'reject') && !c) {
      error.value = 'This item has no candidate to confirm or reject.';
      return;
    }
    const refusal = (): string | null => {
      const why = v === 'confirm' && !replace ? conflict(q.source, c!.target) : null;
      return why && `Not confirmed: ${why} (1-to-1). Withdraw that pair first, or press Shift+C to confirm this one in its place.`;
    };
    const refused = refusal();
    if (refused) {
      error.value = refused;
      return;
    }
    const target = v === 'confirm' || v === 'reject' ? c!.target : null;
    // in audit order a verdict (but a skip) is an audit: a calibration sample, held out of training
    const audit = order.value === 'audit' && v !== 'skip';
    // move on at once: a rejected candidate's next one, else the next open item
    const others = q.candidates.filter((_, i) => i !== candidate.value);
    if (v === 'reject' && candidate.value < q.candidates.length - 1 && !others.every((o) => verdictOf(q.source, o.target)?.verdict === 'reject')) candidate.value++;
    else advance();
    // the 1-to-1 check again when written: a confirmation typed just before may have landed since
    const moved = selectedSource.value;
    const written = await step(() => refusal() ?? [...(v === 'confirm' && replace ? withdrawals(q.source, c!.target) : []), change(q.source, target, v, audit)]);
    // refused or failed: back to the item it was about (unless the curator moved on by hand), so
    // the reason shown stands beside the pair it concerns
    if (!written && selectedSource.value === moved) selectedSource.value = q.source;
  }

  /** The clears of the standing confirmations a confirm of (source, target) breaks. */
  function withdrawals(source: number, target: number): Step['changes'] {
    return brokenPairs(source, target, confirmed.value.bySource, confirmed.value.byTarget).map(([bs, bt]) => ({
      source: uri(bs),
      target: uri(bt),
      before: standing.get(keyOf(uri(bs), uri(bt))),
      after: null,
    }));
  }

  /** The next item that is still open, after the selected one (wrapping round to the top), else the next one. */
  function advance(): void {
    const list = visible.value;
    const from = selected.value;
    for (let k = 1; k < list.length; k++) {
      const i = (from + k) % list.length;
      if (statusOf(list[i]!) === 'open') return select(i);
    }
    select(Math.min(from + 1, list.length - 1));
  }

  function select(i: number): void {
    const list = visible.value;
    selectedSource.value = list[Math.max(0, Math.min(i, list.length - 1))]?.source ?? null;
  }

  /** Undo (back) or redo (forward): the step moves from one stack to the other once written. */
  function travel(direction: 'back' | 'forward'): Promise<void> {
    return serial(async () => {
      const [from, to] = direction === 'back' ? [undoStack, redoStack] : [redoStack, undoStack];
      const s = from.pop();
      if (!s) return;
      try {
        await apply(direction === 'back' ? [...s.changes].reverse() : s.changes, direction);
        to.push(s);
      } catch (e) {
        from.push(s);
        error.value = (e as Error).message;
      }
      history.value = { undo: undoStack.length, redo: redoStack.length };
      focusOn(s.changes[0]!.source);
    });
  }
  const undo = () => travel('back');
  const redo = () => travel('forward');

  /** Selects the item of a source URI (after undo/redo, so the curator sees what changed). */
  function focusOn(sourceUri: string): void {
    const q = visible.value.find((it) => uri(it.source) === sourceUri);
    if (q) selectedSource.value = q.source;
  }

  function setCurator(name: string): void {
    void settings.update({ curator: name.trim(), curatorAsked: true });
  }

  async function train(settings: { epochs?: number; k?: number; options?: ModelOptionsInput; namesFromUris?: boolean }): Promise<string | null> {
    error.value = null;
    try {
      return (await api.curation.train(settings)).jobId;
    } catch (e) {
      error.value = (e as Error).message;
      return null;
    }
  }

  /** Rolls back round n, or undoes that (`restore`), then shows the round that now stands. */
  async function changeRounds(n: number, how: 'rollback' | 'restore'): Promise<void> {
    try {
      rounds.value = await api.curation[how]({ round: n });
      await load();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  const rollback = (n: number) => changeRounds(n, 'rollback');
  const restore = (n: number) => changeRounds(n, 'restore');

  /** "Accept above threshold": a preview (apply false) or the recording of the accepted pairs. */
  async function accept(apply: boolean): Promise<AcceptResult | null> {
    error.value = null;
    try {
      const r = await serial(() => api.curation.accept({ apply }));
      if (apply) await load();
      return r;
    } catch (e) {
      error.value = (e as Error).message;
      return null;
    }
  }

  async function exportAll(formats: ExportFormat[], withRejections: boolean): Promise<void> {
    try {
      lastExport.value = await api.curation.export({ formats, withRejections });
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  return {
    round,
    rounds,
    items,
    entities,
    standing,
    order,
    filter,
    search,
    blind,
    curator,
    selected,
    candidate,
    error,
    saving,
    history,
    loading,
    lastExport,
    label,
    uri,
    confirmed,
    verdictOf,
    shownTarget,
    statusOf,
    counts,
    visible,
    current,
    conflict,
    detail,
    evidenceOf,
    neighbourhood,
    thumbnail,
    accept,
    load,
    verdict,
    select,
    advance,
    undo,
    redo,
    setCurator,
    train,
    rollback,
    restore,
    exportAll,
  };
});
