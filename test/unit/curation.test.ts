// Curation: the queue's pure logic (shared/curation.ts), every export format read back with a real
// parser (n3 for N-Triples, rdfxml-streaming-parser for the Alignment-API RDF/XML, csv-parse for
// TSV / CSV / SSSOM), atomic writing, and `mmea simulate` / `mmea export` end to end on the demo.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { Parser as N3Parser } from 'n3';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import { afterAll, describe, expect, it } from 'vitest';
import {
  acceptKey,
  acceptThresholds,
  conflictOf,
  describeThresholds,
  disagreementOf,
  expectedValues,
  NO_THRESHOLDS,
  orderQueue,
  takeAccepted,
  THIN_FACTS,
  tierOf,
  TIERS,
  wilsonLower,
  type QueueItem,
  type Thresholds,
} from '../../src/shared/curation';
import { planAcceptance, valuedQueue } from '../../src/engine/curation/accept';
import type { VerdictEntry } from '../../src/shared/verdicts';
import { EXPORT_FILES, EXPORT_FORMATS, iriOf, render, writeAtomic, writeExports, type Mapping } from '../../src/engine/curation/export';
import { ROOT, DEMO_DATASET, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** every tier's threshold at t */
const every = (t: number): Thresholds => Object.fromEntries(TIERS.map((x) => [x, t])) as Thresholds;
/** one tier's calibration: the mutual bests without anchors ('model'), keys given as confidences */
const modelThreshold = (samples: { confidence: number; correct: boolean }[], precision: number, delivered?: { confirmed: number; open: number[] }) =>
  acceptThresholds(
    samples.map((x) => ({ tier: 'model' as const, key: x.confidence, correct: x.correct })),
    precision,
    1,
    delivered && { confirmed: delivered.confirmed, open: delivered.open.map((key) => ({ tier: 'model' as const, key })) },
  ).thresholds.model;

const item = (source: number, scores: number[], extra: Partial<QueueItem> = {}): QueueItem => ({
  source,
  candidates: scores.map((score, i) => ({ target: 100 + i, score, cosine: score, modalities: { gph: score, att: i === 1 ? 0.9 : 0.1 } })),
  margin: scores.length > 1 ? scores[0]! - scores[1]! : 0,
  reverseMargin: 1,
  confidence: scores.length > 1 ? scores[0]! - scores[1]! : 0,
  impact: 0,
  disagreement: 0,
  value: 0,
  ...extra,
});

describe('review queue logic', () => {
  it('values plausible, uncertain, impactful items highest and damps those the model accepts', () => {
    const items = [item(1, [0.9, 0.1]), item(2, [0.9, 0.85]), item(3, [0.2, 0.15]), item(4, [0.9, 0.86], { impact: 40 })];
    const v = expectedValues(items);
    expect(v[1]!).toBeGreaterThan(v[0]!); // same top score, smaller margin
    expect(v[1]!).toBeGreaterThan(v[2]!); // same margin, more plausible
    expect(v[3]!).toBeGreaterThan(v[1]!); // anchors more neighbours
    const damped = expectedValues(items, every(-0.5)); // a threshold on acceptKey (no names here: confidence − 1)
    expect(damped[0]!).toBeCloseTo(v[0]! / 10, 3); // confidence .8, key −.2 ≥ −.5: accepted anyway
    expect(damped[1]).toBe(v[1]);
    const withValues = items.map((q, i) => ({ ...q, value: v[i]! }));
    expect(orderQueue(withValues, 'value').map((q) => q.source)).toEqual([4, 2, 1, 3]);
    const byConfidence = orderQueue(withValues, 'confidence').map((q) => q.source);
    expect([byConfidence[0], byConfidence[3]]).toEqual([4, 1]); // least sure first (.04), surest last (.8)
    expect(orderQueue(withValues, 'score')[3]!.source).toBe(3);
  });

  it('measures modality disagreement over the modalities both entities have', () => {
    const q = item(1, [0.9, 0.8]);
    expect(disagreementOf(q.candidates)).toBe(0.5); // gph agrees with the joint, att prefers the second
    q.candidates[0]!.modalities.att = null; // att missing: not asked
    expect(disagreementOf(q.candidates)).toBe(0);
  });

  it('names why a pair conflicts under 1-to-1', () => {
    const bySource = new Map([[1, 10]]);
    const byTarget = new Map([[10, 1]]);
    expect(conflictOf(1, 10, bySource, byTarget)).toBeNull();
    expect(conflictOf(1, 11, bySource, byTarget)).toMatch(/source already confirmed with 10/);
    expect(conflictOf(2, 10, bySource, byTarget)).toMatch(/target already confirmed for 1/);
    expect(conflictOf(2, 11, bySource, byTarget)).toBeNull();
  });

  it('accepts above the lowest confidence whose precision bound holds, never an item that is not a mutual best', () => {
    expect(wilsonLower(100, 100)).toBeCloseTo(100 / 101, 6);
    expect(wilsonLower(0, 0)).toBe(0);
    // 200 right answers from confidence 1.0 down to 0.5, then a wrong one at 0.45 and 0.44
    const samples = Array.from({ length: 200 }, (_, i) => ({ confidence: 1 - i * 0.0025, correct: true }));
    samples.push({ confidence: 0.45, correct: false }, { confidence: 0.44, correct: false });
    const t = modelThreshold(samples, 0.99);
    expect(t).toBeCloseTo(0.5025, 4); // all 200 right: bound 200/201 ≥ .99; one wrong more breaks it
    expect(modelThreshold(samples.slice(0, 50), 0.99)).toBe(Infinity); // too few to vouch for .99
    expect(
      modelThreshold(
        Array.from({ length: 300 }, (_, i) => ({ confidence: -1 + i / 1000, correct: true })),
        0.99,
      ),
    ).toBe(-1);
    // whatever the threshold, an item that is not a mutual best (confidence ≤ 0) is never taken
    const items = [item(1, [0.9, 0.5]), item(2, [0.5, 0.5]), { ...item(3, [0.8, 0.1]), confidence: -0.2 }];
    expect(takeAccepted(items, every(-Infinity), new Set()).map((q) => q.source)).toEqual([1]);
  });

  it('ranks what it accepts by the confidence plus the first candidate’s name similarity', () => {
    const named = (source: number, confidence: number, name: number | null): QueueItem => ({
      ...item(source, [0.9, 0.5]),
      confidence,
      candidates: [{ target: 100 + source, score: 0.9, cosine: 0.9, modalities: { gph: 0.5, name } }],
    });
    expect(acceptKey(named(1, 0.1, 0.9))).toBeCloseTo(1.0, 9);
    expect(acceptKey(named(2, 0.1, null))).toBeCloseTo(-0.9, 9); // no name on a side: less evidence
    expect(acceptKey(item(3, [0.9, 0.5]))).toBeCloseTo(0.4 - 1, 9); // a dataset without names: the confidence, shifted
    // a sure-looking pair whose names differ comes after a less sure one whose names match
    expect(takeAccepted([named(1, 0.3, 0.1), named(2, 0.1, 0.95)], every(-Infinity), new Set()).map((q) => q.source)).toEqual([2, 1]);
  });

  it('ranks name anchors above the rest, exact names above base names, and may accept one the model does not rank first', () => {
    const anchored = (source: number, confidence: number, sameName?: 'exact' | 'base'): QueueItem => ({
      ...item(source, [0.9, 0.5]),
      confidence,
      candidates: [{ target: 100 + source, score: 0.5, cosine: 0.5, modalities: { name: 1 }, ...(sameName && { sameName }) }],
    });
    const [exact, base, model] = [anchored(1, -0.3, 'exact'), anchored(2, 0.2, 'base'), anchored(3, 0.9)];
    expect(acceptKey(exact)).toBeGreaterThan(acceptKey(base));
    expect(acceptKey(base)).toBeGreaterThan(acceptKey(model));
    expect(acceptKey(anchored(4, 0.5, 'exact'))).toBeGreaterThan(acceptKey(exact)); // within a tier: by confidence
    // the model prefers another target for source 1 (confidence < 0), yet its name anchor is acceptable
    expect(takeAccepted([model, base, exact, anchored(5, -0.3)], every(-Infinity), new Set()).map((q) => q.source)).toEqual([1, 2, 3]);
    // each is a tier of its own: an anchor the model ranks otherwise apart from one it also ranks first
    // (shared/curation.ts tierOf), and the preview says in words what each tier's threshold takes
    expect(describeThresholds({ ...NO_THRESHOLDS, exact: acceptKey(exact) })).toBe('exact-name anchors the model ranks otherwise with confidence ≥ -0.3000');
    expect(describeThresholds({ ...NO_THRESHOLDS, 'base-agree': acceptKey(base), model: acceptKey(model) })).toBe(
      'base-name anchors the model also ranks first with confidence ≥ 0.2000; mutual bests without an anchor with confidence + name similarity ≥ 1.9000',
    );
    expect(describeThresholds(NO_THRESHOLDS)).toBeNull();
    expect(takeAccepted([model, base, exact], { ...NO_THRESHOLDS, exact: -Infinity }, new Set()).map((q) => q.source)).toEqual([1]);
    // and audits sample it: the audit order's first part is the acceptable items
    expect(orderQueue([anchored(5, -0.3), exact], 'audit').map((q) => q.source)).toEqual([1, 5]);
    // what reviewing is worth drops to a tenth for an item the threshold accepts anyway
    const v = expectedValues([exact, anchored(5, -0.3)]);
    const damped = expectedValues([exact, anchored(5, -0.3)], { ...NO_THRESHOLDS, exact: acceptKey(exact) });
    expect(damped[0]!).toBeCloseTo(v[0]! / 10, 3);
    expect(damped[1]).toBe(v[1]);
  });

  it('puts a mutual best of a thinly described pair in a tier apart, never a name anchor', () => {
    const withFacts = (q: QueueItem, source: number, target: number): QueueItem => ({ ...q, facts: { source, target } });
    const mutual = item(1, [0.9, 0.5]);
    expect(tierOf(mutual)).toBe('model'); // a queue written before `facts`: as before
    expect(tierOf(withFacts(mutual, 3, 40))).toBe('model');
    expect(tierOf(withFacts(mutual, 40, THIN_FACTS))).toBe('model-thin');
    const anchor: QueueItem = { ...mutual, candidates: [{ ...mutual.candidates[0]!, sameName: 'exact' }] };
    expect(tierOf(withFacts(anchor, 1, 1))).toBe('exact-agree'); // its evidence is its name, not the graph
    expect(describeThresholds({ ...NO_THRESHOLDS, 'model-thin': 0.5 })).toBe(
      `mutual bests without an anchor where either entity is in at most ${THIN_FACTS} triples with confidence + name similarity ≥ 0.5000`,
    );
  });

  it('asks the delivered set for the precision: confirmed pairs let the accepted part be a little less sure', () => {
    // 300 samples, one wrong in every 60 from the top (precision ≈ .983: its bound never reaches .99)
    const samples = Array.from({ length: 300 }, (_, i) => ({ confidence: 1 - i / 300, correct: i % 60 !== 59 }));
    expect(modelThreshold(samples, 0.99)).toBe(Infinity);
    // 1,000 open items spread over the same confidences
    const open = Array.from({ length: 1000 }, (_, i) => 1 - i / 1000);
    // nothing confirmed: the delivered set is the accepted part alone, the same answer
    expect(modelThreshold(samples, 0.99, { confirmed: 0, open })).toBe(Infinity);
    // 2,000 confirmed: accepting down to t keeps (2000 + bound·A) / (2000 + A) ≥ .99
    const t = modelThreshold(samples, 0.99, { confirmed: 2000, open });
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(1);
    // computed independently: the condition holds at t and at no sample confidence below it
    const holds = (x: number) => {
      const inAbove = samples.filter((s) => s.confidence >= x);
      const bound = wilsonLower(inAbove.filter((s) => s.correct).length, inAbove.length);
      const a = open.filter((o) => o >= x).length;
      return (2000 + bound * a) / (2000 + a) >= 0.99;
    };
    expect(holds(t)).toBe(true);
    expect(samples.filter((s) => s.confidence < t).some((s) => holds(s.confidence))).toBe(false);
  });
});

describe('accept above threshold', () => {
  // 300 sources s0..s299 (ids 0..299), first candidate 1000 + id, confidence falling with the id
  const queue = Array.from({ length: 300 }, (_, i) => ({
    ...item(i, [0.9, 0.5]),
    candidates: [1000 + i, 2000 + i].map((target, k) => ({ target, score: 0.9 - k * 0.4, cosine: 0.5, modalities: {} })),
    confidence: 1 - i / 300,
  }));
  const uri = (id: number) => `e${id}`;
  let seq = 0;
  const v = (source: number, target: number | null, verdict: VerdictEntry['verdict'], audit = false): VerdictEntry => ({
    seq: ++seq,
    at: '',
    op: 'set',
    source: uri(source),
    target: target === null ? null : uri(target),
    verdict,
    curator: '',
    round: 1,
    score: null,
    note: null,
    justification: 'manual',
    ...(audit && { audit }),
  });

  it('orders audits as a fixed random sample of the mutual bests, then the rest', () => {
    const items = [...queue.slice(0, 50), ...Array.from({ length: 10 }, (_, i) => ({ ...queue[i]!, source: 500 + i, confidence: -0.1 }))];
    const a = orderQueue(items, 'audit');
    expect(a.slice(0, 50).every((q) => q.confidence > 0)).toBe(true);
    expect(a.slice(50).every((q) => q.confidence <= 0)).toBe(true);
    expect(orderQueue([...items].reverse(), 'audit').map((q) => q.source)).toEqual(a.map((q) => q.source)); // fixed
    expect(a.slice(0, 50).map((q) => q.source)).not.toEqual(items.slice(0, 50).map((q) => q.source)); // shuffled
  });

  it('calibrates on audit verdicts only and accepts open items 1-to-1 above the threshold', () => {
    const standing: VerdictEntry[] = [];
    // audits on the even sources 0..238: 119 confirm the first candidate, s238 has no counterpart
    for (let i = 0; i < 240; i += 2) standing.push(i === 238 ? v(i, null, 'none', true) : v(i, 1000 + i, 'confirm', true));
    standing.push(v(1, 2001, 'confirm')); // manual verdicts: decided, not samples
    standing.push(v(3, 1003, 'reject'));
    standing.push(v(7, 1005, 'confirm')); // takes s5's first candidate
    const plan = planAcceptance(queue, standing, uri, 0.99, 1); // z = 1: the bounds below by hand
    expect([plan.audits, plan.auditsRight, plan.confirmed]).toEqual([120, 119, 121]);
    // at s236's confidence: bound 119/120, 115 open items above → (121 + .9917·115) / 236 ≥ .99;
    // one sample lower (the wrong one) the delivered bound falls to .989
    expect(plan.thresholds).toEqual({ ...NO_THRESHOLDS, model: expect.closeTo(1 - 236 / 300 - 1, 6) }); // mutual bests without anchors: one tier; no names here: acceptKey is the confidence − 1
    const sources = plan.accept.map((a) => a.source);
    expect(sources).toHaveLength(114); // the 115 open odd sources above it but s5
    expect(sources.some((s) => s === 1 || s === 3 || s === 5 || s === 7 || s % 2 === 0)).toBe(false);
    expect(new Set(plan.accept.map((a) => a.target)).size).toBe(114);
    expect(plan.accept.every((a) => a.target === 1000 + a.source && a.confidence >= plan.thresholds.model && a.tier === 'model')).toBe(true);
    // without audits nothing is vouched for
    expect(
      planAcceptance(
        queue,
        standing.map((x) => ({ ...x, audit: undefined })),
        uri,
        0.99,
        1,
      ),
    ).toMatchObject({ thresholds: NO_THRESHOLDS, accept: [] });
    // takeAccepted alone: most confident first, a used target passed over
    expect(takeAccepted(queue.slice(0, 4), every(-Infinity), new Set([1001])).map((q) => q.source)).toEqual([0, 2, 3]);
  });

  it('orders the review by value with the items the threshold would accept anyway damped to a tenth', () => {
    const standing = Array.from({ length: 120 }, (_, k) => v(2 * k, 1000 + 2 * k, 'confirm', true)); // 120 right audits
    const { items, thresholds } = valuedQueue(queue, standing, uri, 0.99, 1);
    expect(thresholds).toEqual(planAcceptance(queue, standing, uri, 0.99, 1).thresholds);
    const threshold = thresholds.model;
    expect(Number.isFinite(threshold)).toBe(true);
    const plain = expectedValues(queue);
    const damped = items.filter((q) => acceptKey(q) >= threshold);
    expect(damped.length).toBeGreaterThan(0);
    expect(damped.length).toBeLessThan(items.length);
    items.forEach((q, i) => expect(q.value).toBeCloseTo(acceptKey(q) >= threshold ? plain[i]! / 10 : plain[i]!, 3));
    // no audits: no threshold, the engine's values as they were
    expect(valuedQueue(queue, [], uri, 0.99).items.map((q) => q.value)).toEqual(queue.map((q) => q.value));
  });
});

const mappings: Mapping[] = [
  {
    source: '/m/0gtx63s',
    target: '<http://dbpedia.org/resource/Rebecca_Hall>',
    sourceId: 0,
    targetId: 14951,
    sourceLabel: 'Rebecca "Becky" Hall',
    targetLabel: 'Rebecca_Hall',
    verdict: 'confirm',
    justification: 'manual',
    curator: 'ann',
    at: '2026-11-22T10:00:00.000Z',
    round: 2,
    score: 0.41,
    note: 'same films,\tsame birth date',
  },
  {
    source: '/m/0515zg',
    target: 'http://dbpedia.org/resource/Perl',
    sourceId: 1,
    targetId: 14953,
    sourceLabel: 'Perl & co <lang>',
    targetLabel: 'Perl',
    verdict: 'confirm',
    justification: 'threshold',
    curator: 'model',
    at: '2026-11-22T10:01:00.000Z',
    round: 3,
    score: 0.77,
    note: null,
  },
  {
    source: '/m/08624h',
    target: 'http://dbpedia.org/resource/Perl',
    sourceId: 2,
    targetId: 14953,
    sourceLabel: 'x',
    targetLabel: 'Perl',
    verdict: 'reject',
    justification: 'manual',
    curator: 'ann',
    at: '2026-11-22T10:02:00.000Z',
    round: 3,
    score: 0.2,
    note: null,
  },
];
const meta = { name: 'Test & <project>', created: '2026-11-22T11:00:00.000Z', tool: 'test' };

describe('exports', () => {
  it('mints IRIs for non-IRI identifiers and keeps real ones', () => {
    expect(iriOf('<http://dbpedia.org/resource/Perl>', 2)).toBe('http://dbpedia.org/resource/Perl');
    expect(iriOf('/m/0gtx63s', 1)).toBe('urn:mmea:kg1:%2Fm%2F0gtx63s');
    expect(iriOf('has space', 2)).toBe('urn:mmea:kg2:has%20space');
  });

  it('N-Triples: one owl:sameAs triple per confirmed pair, parsed by n3', () => {
    const quads = new N3Parser({ format: 'N-Triples' }).parse(render('nt', mappings, meta));
    expect(quads.map((q) => [q.subject.value, q.predicate.value, q.object.value])).toEqual([
      ['urn:mmea:kg1:%2Fm%2F0gtx63s', 'http://www.w3.org/2002/07/owl#sameAs', 'http://dbpedia.org/resource/Rebecca_Hall'],
      ['urn:mmea:kg1:%2Fm%2F0515zg', 'http://www.w3.org/2002/07/owl#sameAs', 'http://dbpedia.org/resource/Perl'],
    ]);
  });

  it('Alignment-API RDF/XML: a Cell per confirmed pair with entity1, entity2, relation "=" and measure', async () => {
    const parser = new RdfXmlParser();
    const quads: { s: string; p: string; o: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      parser.on('data', (q: { subject: { value: string }; predicate: { value: string }; object: { value: string } }) => quads.push({ s: q.subject.value, p: q.predicate.value, o: q.object.value }));
      parser.on('error', reject);
      parser.on('end', resolve);
      parser.write(render('rdf', mappings, meta));
      parser.end();
    });
    const A = 'http://knowledgeweb.semanticweb.org/heterogeneity/alignment#';
    const cells = quads.filter((q) => q.p === `${A}entity1`).map((q) => q.s);
    expect(cells).toHaveLength(2);
    const of = (cell: string, p: string) => quads.find((q) => q.s === cell && q.p === `${A}${p}`)?.o;
    expect(cells.map((c) => [of(c, 'entity1'), of(c, 'entity2'), of(c, 'relation'), of(c, 'measure')])).toEqual([
      ['urn:mmea:kg1:%2Fm%2F0gtx63s', 'http://dbpedia.org/resource/Rebecca_Hall', '=', '1'],
      ['urn:mmea:kg1:%2Fm%2F0515zg', 'http://dbpedia.org/resource/Perl', '=', '0.77'],
    ]);
    expect(quads.some((q) => q.o.includes('Test & <project>'))).toBe(true); // escaped, read back whole
  });

  it('TSV, CSV and SSSOM read back with csv-parse, provenance and awkward characters intact', () => {
    for (const [format, delimiter] of [
      ['tsv', '\t'],
      ['csv', ','],
    ] as const) {
      const rows = parseCsv(render(format, mappings, meta), { delimiter, columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatchObject({
        source: '/m/0gtx63s',
        source_label: 'Rebecca "Becky" Hall',
        verdict: 'confirm',
        justification: 'manual',
        curator: 'ann',
        round: '2',
        score: '0.41',
        note: 'same films,\tsame birth date',
      });
      expect(rows[2]!.verdict).toBe('reject');
    }
    const text = render('sssom', mappings, meta);
    const header = text.split('\n').filter((l) => l.startsWith('#'));
    expect(header.join('\n')).toMatch(/# curie_map:\n# {3}owl: "http:\/\/www.w3.org\/2002\/07\/owl#"/);
    expect(header.some((l) => l.startsWith('# mapping_set_id: '))).toBe(true);
    expect(header.some((l) => l.startsWith('# license: '))).toBe(true);
    const rows = parseCsv(text, { delimiter: '\t', columns: true, comment: '#', comment_no_infix: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.predicate_id, r.predicate_modifier, r.mapping_justification, r.author_label, r.confidence])).toEqual([
      ['owl:sameAs', '', 'semapv:ManualMappingCuration', 'ann', '1'],
      ['owl:sameAs', '', 'semapv:SemanticSimilarityThresholdMatching', 'model', '0.77'],
      ['owl:sameAs', 'Not', 'semapv:ManualMappingCuration', 'ann', '1'],
    ]);
    expect(rows[0]!.subject_id).toBe('kg1:%2Fm%2F0gtx63s');
    expect(rows[0]!.comment).toMatch(/round 2; model score 0.41/);
    // identifiers are CURIEs whose prefixes the curie_map declares, and they expand to the IRIs
    const map = new Map(header.filter((l) => /^# {3}\w+: /.test(l)).map((l) => /^# {3}(\w+): "(.*)"$/.exec(l)!.slice(1, 3) as [string, string]));
    const expand = (curie: string) => {
      const [p, local] = [curie.slice(0, curie.indexOf(':')), curie.slice(curie.indexOf(':') + 1)];
      expect(map.has(p), `prefix ${p} declared`).toBe(true);
      return map.get(p)! + local;
    };
    expect(rows.map((r) => [expand(r.subject_id!), expand(r.object_id!)])).toEqual(mappings.map((m) => [iriOf(m.source, 1), iriOf(m.target, 2)]));
    expect([...map.keys()]).toEqual(expect.arrayContaining(['owl', 'semapv', 'skos', 'kg1', 'dbr']));
  });

  it('never writes an ill-formed IRI or XML character: escaped, and read back by real parsers', async () => {
    const nasty: Mapping[] = [
      { ...mappings[0]!, source: 'http://x.org/a b', target: 'http://y.org/q"uote', sourceLabel: 'bell\u0007 label', targetLabel: 'ok' },
      { ...mappings[0]!, source: 'http://x.org/ctl\u0001x', target: '<http://y.org/{brace}>', sourceLabel: 'a', targetLabel: 'b' },
      { ...mappings[0]!, source: 'http://x.org/ok', target: 'http://y.org/ünï', sourceLabel: 'a', targetLabel: 'b' },
    ];
    const iris = nasty.map((m) => [iriOf(m.source, 1), iriOf(m.target, 2)]);
    // eslint-disable-next-line no-control-regex -- an IRI must hold no control character
    for (const iri of iris.flat()) expect(iri).toMatch(/^[a-z][a-z0-9+.-]*:[^\x00-\x20<>"{}|\\^`]*$/i);
    const nt = new N3Parser({ format: 'N-Triples' }).parse(render('nt', nasty, { ...meta, name: 'odd\u0002name' }));
    expect(nt.map((q) => [q.subject.value, q.object.value])).toEqual(iris);
    const quads: string[][] = [];
    await new Promise<void>((resolve, reject) => {
      const parser = new RdfXmlParser();
      parser.on('data', (q: { subject: { value: string }; predicate: { value: string }; object: { value: string } }) => quads.push([q.subject.value, q.predicate.value, q.object.value]));
      parser.on('error', reject);
      parser.on('end', resolve);
      parser.write(render('rdf', nasty, { ...meta, name: 'odd\u0002name & <co>' }));
      parser.end();
    });
    expect(quads.filter((q) => q[1]!.endsWith('#entity1')).map((q) => q[2])).toEqual(iris.map(([s]) => s));
  });

  it('removes a partial export when the disk fills up, keeping the old file and saying why', () => {
    const file = join(tmp.path, 'full.tsv');
    writeFileSync(file, 'old');
    let calls = 0;
    const fullDisk = (fd: number, b: Uint8Array, o: number, l: number) => {
      if (++calls > 1) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return writeSync(fd, b, o, Math.min(l, 3));
    };
    expect(() => writeAtomic(file, 'a new and longer text', fullDisk)).toThrow(/full.tsv: could not be written \(ENOSPC.*the partial file was removed/);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(tmp.path).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('JSON and the id-pair seed file', () => {
    const json = JSON.parse(render('json', mappings, meta)) as { format: string; mappings: Mapping[] };
    expect(json.format).toBe('mmea-studio-alignment');
    expect(json.mappings).toEqual(mappings);
    expect(render('seeds', mappings, meta)).toBe('0\t14951\n1\t14953\n');
  });

  it('writes atomically: the old file or the whole new one, no scratch left behind', () => {
    const file = join(tmp.path, 'a.tsv');
    writeFileSync(file, 'old');
    writeAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    const files = writeExports(tmp.path, EXPORT_FORMATS, mappings, meta);
    expect(files.map((f) => f.slice(tmp.path.length + 1))).toEqual(EXPORT_FORMATS.map((f) => EXPORT_FILES[f]));
    expect(readdirSync(tmp.path).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('mmea simulate and mmea export (demo)', () => {
  const mmea = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'mmea.mjs'), ...args], { encoding: 'utf8', timeout: 600_000 });

  it('an oracle works through the queue, retrains, and writes a curve, the journal and every export', () => {
    const out = join(tmp.path, 'sim');
    // two pairs the demo's links miss (entities outside them), and one whose source has a link
    const uris = (file: string) =>
      readFileSync(join(DEMO_DATASET, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t') as [string, string]);
    const linked = new Set(uris('ill_ent_ids').flat());
    const [s1, s2] = uris('ent_ids_1').filter(([id]) => !linked.has(id));
    const [t1, t2] = uris('ent_ids_2').filter(([id]) => !linked.has(id));
    const linkedSource = uris('ent_ids_1').find(([id]) => linked.has(id))!;
    const extra = join(tmp.path, 'extra-links.tsv');
    writeFileSync(extra, `${s1![1]}\t${t1![1]}\n${linkedSource[1]}\t${t2![1]}\n${s2![1]}\t${t2![1]}\n`);
    const r = mmea([
      'simulate',
      '--data',
      DEMO_DATASET,
      '--out',
      out,
      '--round-size',
      '30',
      '--initial-epochs',
      '40',
      '--round-epochs',
      '10',
      '--max-verdicts',
      '90',
      '--extra-links',
      extra,
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      curve: { verdicts: number; confirmed: number; recall: number; precision: number; epoch: number }[];
      reviewedFractionAt90Recall: number | null;
      pairsToFind: number;
      extraLinks: { given: number; added: number; passedOver: string[] };
      exports: string[];
    };
    expect(result).toHaveProperty('reviewedFractionAt90Recall');
    // the oracle's truth: the 240 test links and the two missed pairs (the third names a linked source)
    expect(result.pairsToFind).toBe(242);
    expect(result.extraLinks).toEqual({ given: 3, added: 2, passedOver: [`line 2: ${linkedSource[1]} already has a seed or a link`] });
    expect(r.stderr).toContain('--extra-links passed over line 2');
    expect(result.curve.map((p) => p.verdicts)).toEqual([0, 30, 60, 90]);
    expect(result.curve.map((p) => p.epoch)).toEqual([40, 50, 60, 70]); // warm start: the epochs go on
    const confirmed = result.curve.map((p) => p.confirmed);
    expect(confirmed[3]!).toBeGreaterThan(0);
    expect([...confirmed].sort((a, b) => a - b)).toEqual(confirmed); // confirmations only grow
    // accepted pairs stand once taken (the app records them), so they only grow too
    const accepted = result.curve.map((p) => (p as unknown as { accepted: number }).accepted);
    expect([...accepted].sort((a, b) => a - b)).toEqual(accepted);
    for (const p of result.curve) expect(p.precision).toBeGreaterThanOrEqual(0.99); // the oracle never confirms a wrong pair
    for (const f of Object.values(EXPORT_FILES)) expect(existsSync(join(out, f)), f).toBe(true);
    // the verdicts went through the project's journal: `mmea export` gives the same confirmed set
    const again = join(tmp.path, 'export');
    const e = mmea(['export', '--project', join(out, 'project'), '--out', again, '--format', 'nt,seeds', '--json']);
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ confirmed: readFileSync(join(out, 'sup_ent_ids'), 'utf8').split('\n').filter(Boolean).length });
    expect(readFileSync(join(again, 'sup_ent_ids'), 'utf8')).toBe(readFileSync(join(out, 'sup_ent_ids'), 'utf8'));
    expect(readFileSync(join(again, 'alignment.nt'), 'utf8')).toBe(readFileSync(join(out, 'alignment.nt'), 'utf8'));
    const bad = mmea(['export', '--project', join(out, 'project'), '--out', again, '--format', 'xls']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown format xls/);
  });

  it('a pair the model accepted stands: never audited or reviewed after, and in the exports', () => {
    // names from URIs give the demo clean name-anchor tiers; at 85 % a round of 60 vouches for one
    const out = join(tmp.path, 'sim-accept');
    const r = mmea([
      'simulate',
      '--data',
      DEMO_DATASET,
      '--out',
      out,
      '--names-from-uris',
      '--precision',
      '0.85',
      '--round-size',
      '60',
      '--initial-epochs',
      '40',
      '--round-epochs',
      '10',
      '--max-verdicts',
      '120',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const curve = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { curve: { confirmed: number; accepted: number; precision: number }[] }).curve;
    const last = curve.at(-1)!;
    expect(last.accepted).toBeGreaterThan(0);
    for (const p of curve) expect(p.precision).toBeGreaterThanOrEqual(0.85); // the promise, against the truth
    // auditing a pair it had just accepted, the oracle found the pair's own target taken and said
    // "no counterpart", a verdict that dropped the pair from the exports
    const journal = readFileSync(join(out, 'project', 'verdicts.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { source: string; curator: string; justification?: string });
    const accepted = new Set<string>();
    for (const e of journal) {
      if (e.justification === 'threshold') accepted.add(e.source);
      else expect(accepted.has(e.source), `${e.source}: accepted, then answered by the ${e.curator}`).toBe(false);
    }
    expect(accepted.size).toBe(last.accepted);
    expect(readFileSync(join(out, 'sup_ent_ids'), 'utf8').split('\n').filter(Boolean)).toHaveLength(last.confirmed + last.accepted);
  });
});
