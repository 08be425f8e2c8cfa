// Names from URIs, detected: which URIs carry a name (DBpedia, YAGO) and which are opaque ids
// (Freebase mids, Wikidata Q-ids), and the graphs for which the app turns the setting on.
import { describe, expect, it } from 'vitest';
import { uriCarriesName } from '../../src/engine/data/kg';
import { graphsNamedByUris } from '../../src/shared/names';
import type { GraphSummary } from '../../src/shared/types';

describe('names from URIs, detected', () => {
  it('tells URIs that carry a name from opaque ids', () => {
    for (const u of [
      '<http://dbpedia.org/resource/Sammo_Hung>',
      'http://yago-knowledge.org/resource/Paris',
      '<http://dbpedia.org/resource/Breakfast_at_Tiffany%27s_(film)>',
      'http://zh.dbpedia.org/resource/北京大学',
      'Sammo_Hung',
    ])
      expect(uriCarriesName(u), u).toBe(true);
    for (const u of ['/m/0gtx63s', 'http://www.wikidata.org/entity/Q42', '<http://example.org/e/12345>', 'http://example.org/x/a1b2c3d4e5', '0']) expect(uriCarriesName(u), u).toBe(false);
  });

  it('suggests names from URIs for a graph whose unnamed entities mostly carry one', () => {
    const g = (side: 1 | 2, entities: number, named: number, uriNames: number): GraphSummary => ({
      side,
      name: `g${side}`,
      entities,
      relations: 1,
      triples: 1,
      attributeNames: 0,
      attributeValues: 0,
      named,
      uriNames,
    });
    // the demo: Freebase with a names file, DBpedia without one but with names in its URIs
    expect(graphsNamedByUris([g(1, 340, 340, 0), g(2, 340, 0, 340)]).map((x) => x.side)).toEqual([2]);
    expect(graphsNamedByUris([g(1, 100, 0, 10), g(2, 100, 0, 0)])).toEqual([]); // mostly opaque ids
    expect(graphsNamedByUris([g(1, 100, 100, 0), g(2, 100, 100, 0)])).toEqual([]); // names files on both sides
  });
});
