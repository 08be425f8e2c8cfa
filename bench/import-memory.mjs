#!/usr/bin/env node
// A 200 MB dataset in our TSV format (issue 16: "a 200 MB file imports in bounded memory"): generated
// here (deterministic), then `mmea import` on it, with wall time and the import process's peak RSS.
// Readers stream their files (src/engine/data/lines.ts), so the peak follows the graph's size (entities,
// triples, features), not the file's bytes. `--cli` runs another build's out/main/cli.js, to set two
// builds side by side in one session.
//   npm run build && node bench/import-memory.mjs [--mb 200] [--heap-mb 4096] [--cli out/main/cli.js] [--json]
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    'heap-mb': { type: 'string', default: '4096' },
    cli: { type: 'string', default: join(root, 'out', 'main', 'cli.js') },
    json: { type: 'boolean', default: false },
  },
});
const cli = resolve(values.cli);
if (!existsSync(cli)) {
  console.error(`no ${cli}: build first (npm run build)`);
  process.exit(1);
}

const ENTITIES = 100_000;
const RELATIONS = 500;
const uri = (side, i) => `http://example.org/kg${side}/resource/Entity_${String(i).padStart(6, '0')}`;
const rel = (side, r) => `http://example.org/kg${side}/ontology/relation_${String(r).padStart(3, '0')}`;

/** Writes `bytes` of triples over ENTITIES entities (a fixed pseudo-random walk, no repeats to speak of). */
async function triples(path, side, bytes) {
  const out = createWriteStream(path);
  let written = 0;
  let x = 12345 + side;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  while (written < bytes) {
    let chunk = '';
    for (let k = 0; k < 10_000; k++) chunk += `${uri(side, next() % ENTITIES)}\t${rel(side, next() % RELATIONS)}\t${uri(side, next() % ENTITIES)}\n`;
    written += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const scratch = mkdtempSync(join(tmpdir(), 'mmea-import-memory-'));
try {
  const dataset = join(scratch, 'dataset');
  for (const side of [1, 2]) mkdirSync(join(dataset, `kg${side}`), { recursive: true });
  const mb = Number(values.mb);
  await triples(join(dataset, 'kg1', 'triples.tsv'), 1, mb * 2 ** 20);
  await triples(join(dataset, 'kg2', 'triples.tsv'), 2, (mb / 4) * 2 ** 20);
  const links = [];
  for (let i = 0; i < ENTITIES; i += 2) links.push(`${uri(1, i)}\t${uri(2, i)}`);
  writeFileSync(join(dataset, 'links.tsv'), links.join('\n') + '\n');
  const fileMB = (f) => +(statSync(join(dataset, f)).size / 2 ** 20).toFixed(1);

  // the import's own peak RSS, printed by a preloaded hook as it exits
  const hook = join(scratch, 'rss.cjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`\\nPEAK_RSS_MB ${Math.round(process.resourceUsage().maxRSS / 1024)}\\n`));\n");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [`--max-old-space-size=${values['heap-mb']}`, '--require', hook, cli, 'import', dataset, '--project', join(scratch, 'project'), '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const peak = Number(/PEAK_RSS_MB (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  // what the project holds, read back: the import kept every triple line's triple
  let graphs = null;
  if (r.status === 0) {
    const open = spawnSync(process.execPath, [cli, 'open', join(scratch, 'project'), '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    graphs = JSON.parse(open.stdout.trim().split('\n').at(-1)).project.graphs.map((g) => ({ entities: g.entities, triples: g.triples }));
  }
  const result = {
    cli: values.cli,
    cpu: cpus()[0]?.model,
    files: { 'kg1/triples.tsv MB': fileMB('kg1/triples.tsv'), 'kg2/triples.tsv MB': fileMB('kg2/triples.tsv') },
    heapLimitMB: Number(values['heap-mb']),
    ok: r.status === 0,
    exit: r.status ?? r.signal,
    seconds: +wall.toFixed(1),
    peakRssMB: peak,
    graphs,
    failure: r.status === 0 ? undefined : (r.stderr.split('\n').find((l) => /heap|error/i.test(l)) ?? r.stderr.slice(-300)).trim(),
  };
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `${result.ok ? 'imported' : 'FAILED'}: ${result.files['kg1/triples.tsv MB']} MB + ${result.files['kg2/triples.tsv MB']} MB of triples (${graphs ? graphs.map((g) => `${g.triples} triples`).join(' + ') : 'nothing'}) in ${result.seconds} s, peak RSS ${peak} MB (heap limit ${result.heapLimitMB} MB) on ${result.cpu}${result.failure ? `\n  ${result.failure}` : ''}`,
    );
  if (!result.ok) process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
