#!/usr/bin/env node
// A delivered alignment (`mmea simulate`'s or `mmea export`'s alignment.tsv) scored against a DBP15K
// pair's links alone, and against the links plus the pairs they miss (`--extra-links`, the file of
// bench/reference-gaps.mjs --write): how many confirmed pairs, how many right by the links, how many
// right only by the missed pairs, and the precision each way. A simulation run with --extra-links
// reports its precision against the second; this gives the first for the same delivered set.
//   node bench/score-alignment.mjs --data <DBP15K pair dir> --alignment <out>/alignment.tsv [--extra-links FILE]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: v } = parseArgs({ options: { data: { type: 'string' }, alignment: { type: 'string' }, 'extra-links': { type: 'string' } } });
if (!v.data || !v.alignment) {
  console.error('usage: node bench/score-alignment.mjs --data <DBP15K pair dir> --alignment <alignment.tsv> [--extra-links FILE]');
  process.exit(2);
}
const rows = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'));
const uriOf = new Map([...rows(join(v.data, 'ent_ids_1')), ...rows(join(v.data, 'ent_ids_2'))].map(([id, uri]) => [Number(id), uri]));
const link = new Map(rows(join(v.data, 'ill_ent_ids')).map(([a, b]) => [uriOf.get(Number(a)), uriOf.get(Number(b))]));
const missed = new Map(v['extra-links'] ? rows(v['extra-links']) : []);
const [header, ...body] = rows(v.alignment);
const col = (name) => header.indexOf(name);
const confirmed = body.filter((r) => r[col('verdict')] === 'confirm');
const byLinks = confirmed.filter((r) => link.get(r[col('source')]) === r[col('target')]).length;
const byMissed = confirmed.filter((r) => link.get(r[col('source')]) !== r[col('target')] && missed.get(r[col('source')]) === r[col('target')]).length;
const accepted = confirmed.filter((r) => r[col('justification')] === 'threshold');
const acceptedByLinks = accepted.filter((r) => link.get(r[col('source')]) === r[col('target')]).length;
const p = (x, n) => (n ? (x / n).toFixed(4) : '–');
console.log(`confirmed pairs delivered: ${confirmed.length} (${accepted.length} accepted by the threshold)`);
console.log(`right by the links: ${byLinks} (precision ${p(byLinks, confirmed.length)}; of the accepted ${acceptedByLinks}, ${p(acceptedByLinks, accepted.length)})`);
if (v['extra-links']) console.log(`right only by the missed pairs: ${byMissed} (precision with them ${p(byLinks + byMissed, confirmed.length)})`);
