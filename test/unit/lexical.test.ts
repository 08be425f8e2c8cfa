// Name anchors (engine/curation/lexical.ts): the keys a name is matched by, and which pairs anchor —
// only names held by exactly one unaligned entity on each side, exact names before base names, a
// target once.
import { describe, expect, it } from 'vitest';
import { baseKey, nameAnchors, nameKey } from '../../src/engine/curation/lexical';

describe('name anchors', () => {
  it('normalises case, underscores, spaces, percent-encoding and Unicode forms', () => {
    expect(nameKey('Rebecca_Hall')).toBe('rebecca hall');
    expect(nameKey('  Rebecca   HALL ')).toBe('rebecca hall');
    expect(nameKey('Bj%C3%B6rk')).toBe('björk');
    expect(nameKey('Bjo\u0308rk')).toBe(nameKey('Björk')); // decomposed ö: one NFKC form
    expect(nameKey('100%_Pure')).toBe('100% pure'); // not percent-encoding: kept
    expect(baseKey(nameKey('Hulk_(film)'))).toBe('hulk');
    expect(baseKey('lost (season 3) (tv)')).toBe('lost (season 3)'); // one trailing parenthetical
    expect(baseKey('(untitled)')).toBe('');
    expect(baseKey(nameKey('Columbus,_Georgia'))).toBe('columbus'); // a comma qualifier
    expect(baseKey(nameKey('Paris, Texas (film)'))).toBe('paris');
    expect(baseKey(nameKey('Björk'))).toBe('bjork'); // diacritics: one graph spells them, the other not
    expect(baseKey(nameKey('Zoë Saldaña'))).toBe(baseKey(nameKey('Zoe Saldana')));
    expect(baseKey('北京')).toBe('北京'); // other scripts untouched
  });

  it('anchors a name held by one unaligned entity on each side, exact before base, a target once', () => {
    // sources 0.., targets 100..
    const names = new Map<number, string | null>([
      [0, 'Perl'],
      [100, 'Perl'], // exact, unique
      [1, 'Columbus'],
      [101, 'Columbus'],
      [102, 'Columbus'], // two targets: no anchor
      [2, 'Hulk'],
      [103, 'Hulk_(film)'], // base tier
      [3, 'Lost'],
      [4, 'LOST'],
      [104, 'Lost'], // two sources: no anchor
      [5, 'Management'],
      [105, 'Management_(film)'],
      [106, 'Management_(book)'], // base key held twice
      [6, 'Drag queen'],
      [107, 'Drag_queen_(film)'],
      [108, 'drag queen'], // exact wins; the base pair is not made
      [7, null],
      [109, null], // no names
      [8, 'Columbus, Georgia'],
      [110, 'Columbus_(Georgia)'], // no: base keys "columbus" held twice a side (1, 101, 102)
      [9, 'Motörhead'],
      [111, 'Motorhead'], // base tier: diacritics
    ]);
    const a = nameAnchors((r) => names.get(r) ?? null, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111]);
    expect(Object.fromEntries(a)).toEqual({
      0: { target: 100, match: 'exact' },
      2: { target: 103, match: 'base' },
      6: { target: 108, match: 'exact' },
      9: { target: 111, match: 'base' },
    });
    // only the given rows compete: with 102 aligned already, Columbus anchors
    expect(nameAnchors((r) => names.get(r) ?? null, [1], [101, 104]).get(1)).toEqual({ target: 101, match: 'exact' });
  });
});
