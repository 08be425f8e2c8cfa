// `mmea simulate` (the simulated curator: engine/curation/simulate.ts) and `mmea export` (the
// exports of a project's confirmed set: engine/curation/export.ts). Documented in docs/cli.md.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { QUEUE_ORDERS, type QueueOrder } from '../shared/curation';
import { EXPORT_FORMATS, mappingsOf, writeExports, type ExportFormat } from '../engine/curation/export';
import { Journal } from '../engine/curation/journal';
import { SIMULATE_DEFAULTS, SIMULATION_PROJECT, simulate, type SimulateOptions } from '../engine/curation/simulate';
import { isProject, Project } from '../engine/data/project';
import { settingsWithSplit } from '../engine/features/build';
import { ensureFeatures } from '../engine/features/store';
import { importJob } from '../engine/jobs/import';
import type { BackendName } from '../engine/runtime/tf';
import { applyRuntime, int, num, OPTIONS, trainBackend, trainOptions, UsageError } from './train';

export const CURATE_USAGE = `  simulate --data <dir> --out <dir> [--round-size R (500)] [--order ${QUEUE_ORDERS.join('|')} (value)]
           [--k 5] [--initial-epochs 150] [--round-epochs 50] [--audit 0.1] [--precision 0.99]
           [--max-verdicts N] [--continue] [--sim-seed 1] [--extra-links FILE] [training options] [--json]
                                 an oracle curator works through the review queue, retraining
                                 after every round; prints the curve of verdicts vs recall and
                                 precision, writes every export format into --out; --extra-links:
                                 pairs the dataset's links miss (graph-1 URI<TAB>graph-2 URI), which
                                 the oracle confirms too
  export --project <dir> --out <dir> [--format ${EXPORT_FORMATS.join(',')}] [--with-rejections]
                                 the project's confirmed pairs (from its verdict journal)`;

export async function simulateCommand(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      ...OPTIONS,
      'round-size': { type: 'string' },
      order: { type: 'string' },
      'initial-epochs': { type: 'string' },
      'round-epochs': { type: 'string' },
      audit: { type: 'string' },
      precision: { type: 'string' },
      'max-verdicts': { type: 'string' },
      continue: { type: 'boolean', default: false },
      'sim-seed': { type: 'string' },
      'extra-links': { type: 'string' },
    },
  });
  if (!v.data || !v.out) throw new UsageError('simulate: --data <dir> and --out <dir> are required');
  const order = (v.order ?? SIMULATE_DEFAULTS.order) as QueueOrder;
  if (!QUEUE_ORDERS.includes(order)) throw new UsageError(`--order must be one of ${QUEUE_ORDERS.join(', ')}`);
  const d = SIMULATE_DEFAULTS;
  const o: SimulateOptions = {
    roundSize: num(v['round-size'], 'round-size', d.roundSize, (x) => int(x) && x > 0),
    order,
    k: num(v.k, 'k', d.k, (x) => int(x) && x > 0 && x <= 100),
    initialEpochs: num(v['initial-epochs'], 'initial-epochs', d.initialEpochs, int),
    roundEpochs: num(v['round-epochs'], 'round-epochs', d.roundEpochs, int),
    audit: num(v.audit, 'audit', d.audit, (x) => x >= 0 && x <= 1),
    precision: num(v.precision, 'precision', d.precision, (x) => x > 0 && x < 1),
    maxVerdicts: num(v['max-verdicts'], 'max-verdicts', d.maxVerdicts, int),
    continueAfterTarget: v.continue,
    seed: num(v['sim-seed'], 'sim-seed', d.seed, int),
    extraLinks: v['extra-links'] === undefined ? d.extraLinks : resolve(v['extra-links']),
  };
  const train = trainOptions(v);
  const out = resolve(v.out);
  const data = resolve(v.data);
  const target = SIMULATION_PROJECT(out);
  if (existsSync(out) && readdirSync(out).length > 0) throw new UsageError(`simulate: --out ${out} is not empty (a simulation starts from a fresh copy of the project)`);
  mkdirSync(out, { recursive: true });
  const say = (line: string) => process.stderr.write(line + '\n');
  // the simulation's own project: a copy of the given one without its verdicts and runs, or an import
  if (isProject(data)) cpSync(data, target, { recursive: true, filter: (p) => !['verdicts.jsonl', 'runs'].includes(basename(p)) || p === data });
  else {
    const abort = new AbortController();
    await importJob(
      { source: data, project: target, format: v.format as never, names: v.names, fold: v.fold, kg2: v.kg2, wordVectors: v['word-vectors'] },
      { jobId: `simulate-${process.pid}`, signal: abort.signal, progress: () => {} },
    );
  }
  const backend: BackendName = await trainBackend(v);
  applyRuntime(v);
  const settings = settingsWithSplit({ rate: v.rate === undefined ? undefined : num(v.rate, 'rate', 0, (x) => x > 0 && x < 1), validFraction: 0 }, v['names-from-uris']);
  const { features } = await ensureFeatures(target, settings);
  const project = await Project.open(target);
  say(`simulate: ${project.manifest.name}, backend ${backend}, order ${o.order}, round size ${o.roundSize}`);
  const result = await simulate(project, features, train, o, out, {
    onPoint: (p) =>
      say(
        v.json
          ? JSON.stringify({ point: p })
          : `round ${p.round}: ${p.verdicts} verdicts (${(p.reviewedFraction * 100).toFixed(1)}%), audits ${
              Object.entries(p.audits)
                .map(([t, n]) => `${t} ${n}`)
                .join(', ') || 'none'
            }, confirmed ${p.confirmed} (recall ${p.confirmedRecall.toFixed(3)}), accepted ${p.accepted} (${
              Object.entries(p.thresholds)
                .map(([t, x]) => `${t} ≥ ${x}`)
                .join(', ') || 'no tier vouched for'
            }), recall ${p.recall.toFixed(3)} precision ${p.precision.toFixed(4)}` +
              (p.heldOut ? `, held-out H@1 ${p.heldOut.hits1.toFixed(3)} (${p.heldOut.pairs})` : '') +
              `, epoch ${p.epoch}, ${p.seconds} s`,
      ),
  });
  if (result.extraLinks) {
    const x = result.extraLinks;
    say(`simulate: --extra-links: ${x.added} of ${x.given} pairs added to the truth`);
    for (const why of x.passedOver) say(`mmea: warning: --extra-links passed over ${why}`);
  }
  const summary = { ...result, backend, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  if (v.json) console.log(JSON.stringify(summary));
  else {
    console.log(`reviewed fraction at 90% recall (precision ≥ ${o.precision}): ${result.reviewedFractionAt90Recall ?? 'not reached'}`);
    console.log(`exports: ${result.exports.join(', ')}`);
  }
  return 0;
}

export async function exportCommand(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', default: EXPORT_FORMATS.join(',') },
      'with-rejections': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (!v.project || !v.out) throw new UsageError('export: --project <dir> and --out <dir> are required');
  const formats = v.format.split(',').filter(Boolean) as ExportFormat[];
  for (const f of formats) if (!EXPORT_FORMATS.includes(f)) throw new UsageError(`--format: unknown format ${f} (${EXPORT_FORMATS.join(', ')})`);
  const dir = resolve(v.project);
  const project = await Project.open(dir);
  const { journal, warnings } = Journal.read(dir); // a reader: the app may have the journal open
  try {
    for (const w of warnings) process.stderr.write(`mmea: warning: ${w}\n`);
    const mappings = mappingsOf(project, journal.state().values(), v['with-rejections']);
    mkdirSync(resolve(v.out), { recursive: true });
    const files = writeExports(resolve(v.out), formats, mappings, { name: project.manifest.name, created: new Date().toISOString(), tool: 'MMEA Studio mmea export' });
    const confirmed = mappings.filter((m) => m.verdict === 'confirm').length;
    if (v.json) console.log(JSON.stringify({ files, confirmed, rejected: mappings.length - confirmed }));
    else console.log(`${confirmed} confirmed${v['with-rejections'] ? `, ${mappings.length - confirmed} rejected` : ''} pair(s) written to ${files.join(', ')}`);
    return 0;
  } finally {
    journal.close();
  }
}
