#!/usr/bin/env node
// Rebuilds the bundled demo dataset (resources/demo/dataset) from the benchmark copy in
// ../shared/data/mmkb/FB15K_DB15K_partialFB. Deterministic: the same input gives the same files.
// Usage: node scripts/make-demo.mjs [--src DIR] [--pairs 300] [--extra 40]
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    src: { type: 'string', default: join(root, '../shared/data/mmkb/FB15K_DB15K_partialFB') },
    pairs: { type: 'string', default: '300' },
    extra: { type: 'string', default: '40' },
    start: { type: 'string', default: "Breakfast_at_Tiffany's" },
  },
});
const src = values.src;
const wantPairs = Number(values.pairs);
const wantExtra = Number(values.extra);
const out = join(root, 'resources/demo/dataset');

const rows = (f) =>
  readFileSync(join(src, f), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
const ent1 = rows('ent_ids_1'),
  ent2 = rows('ent_ids_2');
const rel1 = rows('rel_ids_1'),
  rel2 = rows('rel_ids_2');
const tri1 = rows('triples_1').map((r) => r.map(Number)),
  tri2 = rows('triples_2').map((r) => r.map(Number));
const links = rows('ill_ent_ids').map((r) => r.map(Number));
const names1 = new Map(rows('names_1').map(([id, n]) => [Number(id), n]));
const attrs1 = rows('attr_triples_1'),
  attrs2 = rows('attr_triples_2');
const tattrs1 = rows('training_attrs_1'),
  tattrs2 = rows('training_attrs_2');

const l2r = new Map(links.map(([a, b]) => [a, b]));
const adjacency = (triples) => {
  const adj = new Map();
  for (const [h, , t] of triples) {
    if (h === t) continue;
    if (!adj.has(h)) adj.set(h, new Set());
    if (!adj.has(t)) adj.set(t, new Set());
    adj.get(h).add(t);
    adj.get(t).add(h);
  }
  return adj;
};
const adj1 = adjacency(tri1),
  adj2 = adjacency(tri2);

// Breadth-first from a well-known film over linked FB15K entities, walking the union of both
// graphs' edges (DB15K edges mapped back through the links, so KG2 stays connected too)
// and skipping hubs (degree > 150) so the slice is a neighbourhood, not a list of countries.
const r2l = new Map(links.map(([a, b]) => [b, a]));
let start = [...names1].find(([, n]) => n === values.start)?.[0];
if (start === undefined || !l2r.has(start)) start = links[0][0];
const picked = new Set([start]);
const queue = [start];
while (queue.length && picked.size < wantPairs) {
  const e = queue.shift();
  const viaKg2 = [...(adj2.get(l2r.get(e)) ?? [])]
    .map((x) => r2l.get(x))
    .filter((x) => x !== undefined)
    .sort((a, b) => a - b);
  const nb = [...new Set([...viaKg2, ...(adj1.get(e) ?? [])])].sort((a, b) => a - b);
  for (const n of nb) {
    if (picked.size >= wantPairs) break;
    if (picked.has(n) || !l2r.has(n) || (adj1.get(n)?.size ?? 0) > 150) continue;
    picked.add(n);
    queue.push(n);
  }
}
const left = [...picked].sort((a, b) => a - b);
const right = left.map((e) => l2r.get(e));
// Some neighbours outside the linked slice on each side, so the demo shows entities without a
// counterpart in the project (their benchmark links, if any, point outside the slice and are dropped).
const extras = (adj, chosen) => {
  const res = new Set();
  for (const e of chosen)
    for (const n of [...(adj.get(e) ?? [])].sort((a, b) => a - b)) {
      if (res.size >= wantExtra) return res;
      if (!chosen.includes(n) && (adj.get(n)?.size ?? 0) <= 150) res.add(n);
    }
  return res;
};
const side1 = [...left, ...extras(adj1, left)].sort((a, b) => a - b);
const side2 = [...right, ...extras(adj2, right)].sort((a, b) => a - b);

// Renumber: KG1 0..n1-1, KG2 n1..n1+n2-1 (one global id space, as the MCLEA-style format has).
const newId = new Map();
side1.forEach((e, i) => newId.set(e, i));
side2.forEach((e, i) => newId.set(e, side1.length + i));
const uri = new Map([...ent1, ...ent2].map(([id, u]) => [Number(id), u]));
const keepTriples = (triples, side) => {
  const s = new Set(side);
  const seen = new Set();
  return triples.filter(([h, r, t]) => {
    const k = `${h} ${r} ${t}`;
    if (!s.has(h) || !s.has(t) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};
const t1 = keepTriples(tri1, side1),
  t2 = keepTriples(tri2, side2);
const relIds = new Map();
const relName = new Map([...rel1, ...rel2].map(([id, n]) => [Number(id), n]));
for (const [, r] of [...t1, ...t2]) if (!relIds.has(r)) relIds.set(r, 0);
const used1 = [...new Set(t1.map((t) => t[1]))].sort((a, b) => a - b);
const used2 = [...new Set(t2.map((t) => t[1]))].sort((a, b) => a - b);
[...used1, ...used2].forEach((r, i) => relIds.set(r, i));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const write = (f, lines) => writeFileSync(join(out, f), lines.map((l) => l.join('\t')).join('\n') + '\n');
write(
  'ent_ids_1',
  side1.map((e) => [newId.get(e), uri.get(e)]),
);
write(
  'ent_ids_2',
  side2.map((e) => [newId.get(e), uri.get(e)]),
);
write(
  'rel_ids_1',
  used1.map((r) => [relIds.get(r), relName.get(r)]),
);
write(
  'rel_ids_2',
  used2.map((r) => [relIds.get(r), relName.get(r)]),
);
write(
  'triples_1',
  t1.map(([h, r, t]) => [newId.get(h), relIds.get(r), newId.get(t)]),
);
write(
  'triples_2',
  t2.map(([h, r, t]) => [newId.get(h), relIds.get(r), newId.get(t)]),
);
const pairs = left.map((e) => [newId.get(e), newId.get(l2r.get(e))]);
// Seeded shuffle (mulberry32, seed 42) for a reproducible 20% train / 80% test split.
let s = 42;
const rnd = () => {
  s |= 0;
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const shuffled = [...pairs];
for (let i = shuffled.length - 1; i > 0; i--) {
  const j = Math.floor(rnd() * (i + 1));
  [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
}
const nTrain = Math.floor(shuffled.length * 0.2);
write('ill_ent_ids', shuffled);
write('sup_ent_ids', shuffled.slice(0, nTrain));
write('dev_ent_ids', shuffled.slice(nTrain));
write(
  'names_1',
  side1.map((e) => [newId.get(e), names1.get(e) ?? '']),
);
const uris1 = new Set(side1.map((e) => uri.get(e))),
  uris2 = new Set(side2.map((e) => uri.get(e)));
write(
  'attr_triples_1',
  attrs1.filter((r) => uris1.has(r[0])),
);
write(
  'attr_triples_2',
  attrs2.filter((r) => uris2.has(r[0])),
);
write(
  'training_attrs_1',
  tattrs1.filter((r) => uris1.has(r[0])),
);
write(
  'training_attrs_2',
  tattrs2.filter((r) => uris2.has(r[0])),
);
console.log(JSON.stringify({ kg1: side1.length, kg2: side2.length, links: pairs.length, train: nTrain, triples1: t1.length, triples2: t2.length, relations: relIds.size }));
