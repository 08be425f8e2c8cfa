// Name anchors: the lexical matcher every ontology-matching system starts from (LogMap's and AML's
// lexical anchors). A source and a target whose names are the same, and no other unaligned entity
// of either graph has that name, are proposed as a pair whatever the embedding ranks first; the
// queue puts that target first among the source's candidates, flagged `sameName`, and
// "accept above threshold" ranks such pairs above the model's own (shared/curation.ts acceptKey).
// They are never accepted on their name alone: the threshold is calibrated on the audited verdicts
// like every other accepted pair, so a dataset whose names mislead gets them no further than its
// audits vouch for.
//
// Two tiers: 'exact', the whole name after normalisation (Unicode NFKC, percent-decoding, case,
// underscores and runs of spaces); 'base', the name without its qualifiers and accents, for the
// entities no exact name anchors: a trailing parenthetical ("Hulk (film)" → "hulk": Wikipedia's
// disambiguation), a comma qualifier ("Columbus, Georgia" → "columbus": DBpedia's places) and
// diacritics ("Björk" → "bjork": one graph spells them, the other not).
// Our own code: a few lines over Maps, no library matches entity names under 1-to-1 uniqueness.
import type { Project } from '../data/project';
import { labelFromUri, type KgPair } from '../data/kg';
import type { Features } from '../features/build';

export type NameMatch = 'exact' | 'base';

/** The exact tier's key of a name. */
export function nameKey(name: string): string {
  let s = name;
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      // not percent-encoding: the name as it is
    }
  }
  return s.normalize('NFKC').replace(/_/g, ' ').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The base tier's key: the exact key without one trailing parenthetical, without what follows a
 *  comma, and without diacritics (the key is held by one entity a side, or it anchors nothing). */
export function baseKey(key: string): string {
  return key
    .replace(/\s*\([^()]*\)$/, '')
    .replace(/\s*,.*$/, '')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .trim();
}

/**
 * Source row → (target row, tier) for every source whose key (exact first, then base for the rest)
 * is held by exactly one of `sources` and exactly one of `targets`. `nameOf` gives a row's name, or
 * null where it has none (a name-less row never anchors). A target anchors one source at most.
 */
export function nameAnchors(nameOf: (row: number) => string | null, sources: ArrayLike<number>, targets: ArrayLike<number>): Map<number, { target: number; match: NameMatch }> {
  const out = new Map<number, { target: number; match: NameMatch }>();
  const keysOf = (rows: ArrayLike<number>) => {
    const keys = new Map<number, string>();
    for (let i = 0; i < rows.length; i++) {
      const name = nameOf(rows[i]!);
      const key = name === null ? '' : nameKey(name);
      if (key) keys.set(rows[i]!, key);
    }
    return keys;
  };
  const s = keysOf(sources);
  const t = keysOf(targets);
  const usedTargets = new Set<number>();
  for (const [match, key] of [
    ['exact', (k: string) => k],
    ['base', baseKey],
  ] as const) {
    // key → the only row holding it, or -1 when several do
    const only = (keys: Map<number, string>) => {
      const m = new Map<string, number>();
      for (const [row, k] of keys) {
        const b = key(k);
        if (b) m.set(b, m.has(b) ? -1 : row);
      }
      return m;
    };
    const bySource = only(s);
    const byTarget = only(t);
    for (const [k, src] of bySource) {
      const dst = byTarget.get(k);
      if (src < 0 || dst === undefined || dst < 0 || out.has(src) || usedTargets.has(dst)) continue;
      out.set(src, { target: dst, match });
      usedTargets.add(dst);
    }
  }
  return out;
}

/** A row's name as the features see it (a names file's, or the URI's with namesFromUris: the
 *  coverage mask says which rows have one), or null; `labelOf` gives an entity id's label (its
 *  name, else its URI). */
export function rowNames(labelOf: (id: number) => string, f: Pick<Features, 'rowIds' | 'coverage'>): (row: number) => string | null {
  return (row) => (f.coverage.names[row] ? labelFromUri(labelOf(f.rowIds[row]!)) : null);
}

/** An entity id's label in a project. */
export const projectLabels = (project: Pick<Project, 'nameOf'>) => (id: number) => project.nameOf(id).label;
/** An entity id's URI and label in a project. */
export const projectNames = (project: Pick<Project, 'nameOf'>) => (id: number) => project.nameOf(id);

/** An entity id's URI and label in a dataset read in memory (`mmea propose` on a folder; the
 *  label: its name, else its URI). */
export function pairNames(pair: Pick<KgPair, 'sides'>): (id: number) => { uri: string; label: string } {
  const names = new Map<number, { uri: string; label: string }>();
  for (const s of pair.sides) s.ids.forEach((id, i) => names.set(id, { uri: s.uris[i]!, label: s.names[i] ?? s.uris[i]! }));
  return (id) => names.get(id) ?? { uri: '', label: '' };
}
