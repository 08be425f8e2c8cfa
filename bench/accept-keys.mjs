#!/usr/bin/env node
// What "accept above threshold" can vouch for, by the key it ranks the model's first candidates by:
// trains HUMEA on a share of the links (`mmea train`, names from URIs), writes its review queue
// (`mmea propose`, name anchors first where the names single a pair out), and joins it with the
// dataset's links (ill_ent_ids; a source without a link is wrong whatever it is matched to). It says
// how many name anchors there are and how many are right. For each key, how many first candidates stand in the longest
// most-sure-first prefix whose precision is ≥ 99 % (and 98.5 %): the ceiling a calibrated threshold
// could reach. The ground truth measures here; the app and `mmea simulate` never see it.
// It also says how often the right target is among the five candidates, and how often it would be
// first if the five were re-ranked by score + name similarity (the ceiling of a re-ranking).
//   node bench/accept-keys.mjs [--data <FB15K_DB15K dir>] [--rate 0.4] [--epochs 250] [--out <dir>]
//   node bench/accept-keys.mjs --queue <out>/queue.jsonl   (the analysis alone, of a queue written before)
//   DBP15K: --data <pair dir> --names <translated names json> [--extra-links FILE] (pairs the links
//   miss counted right too: bench/reference-gaps.mjs --write)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: v } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'mmkb', 'FB15K_DB15K_partialFB') },
    rate: { type: 'string', default: '0.4' },
    epochs: { type: 'string', default: '250' },
    out: { type: 'string', default: join(root, 'bench-runs', 'accept-keys') },
    queue: { type: 'string' },
    names: { type: 'string' },
    'extra-links': { type: 'string' },
  },
});
const cli = join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  console.error('build first: npm run build');
  process.exit(1);
}
// names: a DBP15K translated-name file where given, else the URIs' last segments
const common = ['--data', v.data, '--rate', v.rate, '--valid-fraction', '0', ...(v.names ? ['--names', v.names] : ['--names-from-uris'])];
const mmea = (args) => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return (Date.now() - t0) / 1000;
};
let queueFile = v.queue;
let trainSeconds = null;
if (!queueFile) {
  mkdirSync(v.out, { recursive: true });
  const run = join(v.out, 'run');
  trainSeconds = mmea(['train', ...common, '--out', run, '--epochs', v.epochs, '--check-point', v.epochs, '--json']);
  queueFile = join(v.out, 'queue.jsonl');
  mmea(['propose', ...common, '--checkpoint', join(run, 'checkpoints', 'last'), '--out', queueFile, '--k', '5', '--json']);
}

// pairs the links miss, right too where given (`mmea simulate --extra-links`' file: URI<TAB>URI)
const missed = new Map(
  v['extra-links']
    ? readFileSync(v['extra-links'], 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split('\t'))
    : [],
);
const link = new Map();
for (const line of readFileSync(join(v.data, 'ill_ent_ids'), 'utf8').split('\n')) {
  const [a, b] = line.split('\t').map(Number);
  if (Number.isInteger(a) && Number.isInteger(b)) link.set(a, b);
}
const items = readFileSync(queueFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(1) // the header
  .map((l) => JSON.parse(l))
  .filter((q) => q.candidates.length > 0)
  .map((q) => ({ ...q, right: link.get(q.source.id) === q.candidates[0].id || missed.get(q.source.uri) === q.candidates[0].uri }));
const name = (q) => (typeof q.candidates[0].modalities.name === 'number' ? q.candidates[0].modalities.name : -1);
// a name anchor (the queue puts it first, flagged sameName: src/engine/curation/lexical.ts)
const anchor = (q) => q.candidates[0].sameName;
// src/shared/curation.ts acceptKey (its ANCHOR_KEY lifts, copied: a bench script cannot import the
// TypeScript; only the tiers' order matters here)
const acceptKey = (q) => (anchor(q) ? { exact: 40, base: 20 }[anchor(q)] + q.confidence : q.confidence + name(q));
const keys = {
  'confidence (min margin both ways)': [(q) => q.confidence, false],
  'CSLS score of the first candidate': [(q) => q.candidates[0].score, false],
  'confidence + name similarity': [(q) => q.confidence + name(q), false],
  'name anchors, then confidence + name (acceptKey)': [(q) => acceptKey(q), true],
};
// the same with thinly described pairs (either entity in at most `thin` triples: the queue's `facts`)
// after every described one of their tier (5 × acceptKey keeps the tiers 100 apart, a key's range
// within a tier 90 wide): DBP15K's entities outside its links are mostly such
for (const thin of [1, 2])
  keys[`acceptKey, pairs in ≤ ${thin} triple${thin > 1 ? 's' : ''} last in their tier`] = [(q) => 5 * acceptKey(q) - (Math.min(q.facts.source, q.facts.target) <= thin ? 50 : 0), true];
/** the longest sure-first prefix with precision ≥ p (from 50 items on) of the mutual bests, and of
 *  the name anchors too for a key that takes them (shared/curation.ts acceptable) */
const ceiling = ([key, anchors], p) => {
  const s = items.filter((q) => q.confidence > 0 || (anchors && anchor(q))).sort((a, b) => key(b) - key(a));
  let ok = 0;
  let best = 0;
  s.forEach((q, i) => {
    ok += q.right ? 1 : 0;
    if (i >= 49 && ok / (i + 1) >= p) best = i + 1;
  });
  return best;
};
const trained = trainSeconds === null ? `queue ${queueFile}` : `trained ${v.epochs} epochs on ${v.rate} of the links in ${trainSeconds.toFixed(0)} s`;
console.log(`${items.length} queue items, ${items.filter((q) => q.right).length} with the right first candidate, ${items.filter((q) => q.confidence > 0).length} mutual bests; ${trained}`);
for (const tier of ['exact', 'base']) {
  const a = items.filter((q) => anchor(q) === tier);
  console.log(`name anchors (${tier}): ${a.length}, right ${a.filter((q) => q.right).length}, the model's mutual best too ${a.filter((q) => q.confidence > 0).length}`);
}
for (const [label, key] of Object.entries(keys))
  console.log(`${label.padEnd(50)} right first candidates at ≥ 99 %: ${String(ceiling(key, 0.99)).padStart(6)}   at ≥ 98.5 %: ${String(ceiling(key, 0.985)).padStart(6)}`);
const inTop = items.filter((q) => q.candidates.some((c) => c.id === link.get(q.source.id))).length;
const reranked = items.filter((q) => q.candidates.reduce((a, c) => (c.score + name({ candidates: [c] }) > a.score + name({ candidates: [a] }) ? c : a)).id === link.get(q.source.id)).length;
console.log(`right target among the ${items[0]?.candidates.length ?? 0} candidates: ${inTop}; first if they were re-ranked by score + name similarity: ${reranked}`);
// the mutual bests without an anchor, split as src/shared/curation.ts tierOf splits them (THIN_FACTS
// copied): how many are thin, how many of those right, and how right the first n by acceptKey are
// with the thin ones and without them
if (items[0]?.facts) {
  const fewer = (q) => Math.min(q.facts.source, q.facts.target);
  const thin = (q) => fewer(q) <= 2;
  const model = items.filter((q) => q.confidence > 0 && !anchor(q)).sort((a, b) => acceptKey(b) - acceptKey(a));
  const thinOnes = model.filter(thin);
  const described = model.filter((q) => !thin(q));
  const firsts = (list) => [100, 1000, 3000].map((n) => `${n}: ${(list.slice(0, n).filter((q) => q.right).length / Math.min(n, list.length)).toFixed(3)}`).join(', ');
  console.log(
    `mutual bests without an anchor: ${model.length}, right ${model.filter((q) => q.right).length}; in ≤ 2 triples (model-thin) ${thinOnes.length}, right ${thinOnes.filter((q) => q.right).length}`,
  );
  console.log(`  right among the first n by acceptKey: all ${firsts(model)}; without the thin ones ${firsts(described)}`);
  // Is any corner of the described ones clean enough for a 99 % threshold? Over a grid of floors on
  // the confidence, the name similarity and the facts of the less described end (the evidence a key
  // could combine), the largest corner right ≥ 99 % (of 50 items or more) and the most right corner
  // of 200 or more: a ceiling no key over these three can pass
  let largest = null;
  let cleanest = null;
  for (const c of [0, 0.05, 0.1, 0.2, 0.3, 0.4])
    for (const n of [-1, 0, 0.2, 0.4, 0.6, 0.8, 0.9])
      for (const f of [3, 4, 6, 10, 20, 50]) {
        const s = described.filter((q) => q.confidence >= c && name(q) >= n && fewer(q) >= f);
        const p = s.filter((q) => q.right).length / s.length;
        const corner = { c, n, f, size: s.length, p };
        if (s.length >= 50 && p >= 0.99 && (!largest || s.length > largest.size)) largest = corner;
        if (s.length >= 200 && (!cleanest || p > cleanest.p)) cleanest = corner;
      }
  const say = (x) => (x ? `confidence ≥ ${x.c}, name ≥ ${x.n}, facts ≥ ${x.f}: ${x.size} items, ${x.p.toFixed(3)} right` : 'none');
  console.log(`  described mutual bests (${described.length}): largest corner right ≥ 99 %: ${say(largest)}; most right corner of ≥ 200: ${say(cleanest)}`);
}
