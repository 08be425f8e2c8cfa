#!/usr/bin/env node
// How complete is a DBP15K pair's reference alignment? `mmea simulate`'s oracle answers "no
// counterpart" for every source outside the links (ill_ent_ids), so a pair the links miss counts as a
// wrong acceptance. This counts the sources outside the links whose translated name (its words
// joined, lower-cased) no other source holds and exactly one target holds — close to the exact name
// anchors' rule (src/engine/curation/lexical.ts), which looks only at unaligned entities — how
// many of those targets are outside the links too, and prints a fixed random sample of such pairs
// with both URIs, so a reader can judge them (docs/benchmarks.md records one reading). The links
// are read as they are; nothing here changes what the simulation measures.
// --write FILE writes all of them as `mmea simulate --extra-links` reads them.
//   node bench/reference-gaps.mjs [--data <DBP15K pair dir>] [--names <translated names json>] [--sample 40] [--write FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared', 'data', 'dbp15k');
const { values: v } = parseArgs({
  options: {
    data: { type: 'string', default: join(shared, 'zh_en') },
    names: { type: 'string', default: join(shared, 'translated_ent_name', 'dbp_zh_en.json') },
    sample: { type: 'string', default: '40' },
    write: { type: 'string' },
  },
});
const lines = (f) => readFileSync(join(v.data, f), 'utf8').split('\n').filter(Boolean);
const uri = new Map();
const side = (f) =>
  lines(f).map((l) => {
    const [id, u] = l.split('\t');
    uri.set(Number(id), u);
    return Number(id);
  });
const [left, right] = [side('ent_ids_1'), side('ent_ids_2')];
const linked = new Set(lines('ill_ent_ids').flatMap((l) => l.split('\t').map(Number)));
const facts = new Map();
for (const f of ['triples_1', 'triples_2'])
  for (const l of lines(f)) {
    const [h, , t] = l.split('\t').map(Number);
    for (const e of [h, t]) facts.set(e, (facts.get(e) ?? 0) + 1);
  }
const name = new Map(JSON.parse(readFileSync(v.names, 'utf8')).map(([id, words]) => [id, words.join(' ').toLowerCase()]));
const holders = (ids) => {
  const m = new Map();
  for (const id of ids) {
    const n = name.get(id);
    if (n) m.set(n, [...(m.get(n) ?? []), id]);
  }
  return m;
};
const [byName1, byName2] = [holders(left), holders(right)];
const pairs = [];
for (const [n, src] of byName1) {
  const tgt = byName2.get(n);
  if (src.length === 1 && tgt?.length === 1 && !linked.has(src[0])) pairs.push([src[0], tgt[0]]);
}
const outside = pairs.filter(([, t]) => !linked.has(t));
const unlinked = left.filter((id) => !linked.has(id)).length;
console.log(`${left.length} sources, ${unlinked} outside the links; of those, ${pairs.length} hold a name exactly one target holds, ${outside.length} of these targets outside the links too`);
// a fixed sample: the pairs ordered by a hash of the source id
const h = (id) => {
  let x = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
};
for (const [s, t] of [...outside].sort((a, b) => h(a[0]) - h(b[0])).slice(0, Number(v.sample))) console.log(`${uri.get(s)}\t${uri.get(t)}\t(triples ${facts.get(s) ?? 0} / ${facts.get(t) ?? 0})`);
if (v.write) {
  const header = `# ${outside.length} pairs outside ${v.data}'s links whose translated names only they hold (bench/reference-gaps.mjs)\n`;
  writeFileSync(v.write, header + outside.map(([s, t]) => `${uri.get(s)}\t${uri.get(t)}\n`).join(''));
}
