// `mmea`: the command line. One program, subcommands; with --json, standard output is JSON only
// (progress and messages go to standard error). Documented in docs/cli.md.
//   npm run -s mmea -- inspect <dir> [--names FILE] [--json]
//   npm run -s mmea -- import <dir> --project <dir> [--name N] [--names FILE] [--word-vectors W] [--replace] [--json]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MmeaError } from '../shared/errors';
import { describeSplit } from '../shared/split';
import { FORMATS, readDataset, type DatasetFormat } from '../engine/data/formats';
import { inspectPair, type Inspection } from '../engine/data/inspect';
import { InputReport } from '../engine/data/report';
import { importJob } from '../engine/jobs/import';
import { Project } from '../engine/data/project';
import { coverageCounts, settingsWithSplit } from '../engine/features/build';
import { ensureFeatures } from '../engine/features/store';
import { experimentsCommand } from './experiments';
import { encodeImagesCommand } from './images';
import { evalCommand, proposeCommand, trainCommand, TRAIN_USAGE, UsageError } from './train';
import { modelsCommand } from './modelFlags';
import { verdictsCommand, VERDICTS_USAGE } from './verdicts';
import { CURATE_USAGE, exportCommand, simulateCommand } from './curate';

const peakRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);

const USAGE = `usage: mmea <command> [options]

commands:
  inspect <dir>                  what a dataset folder holds: graphs, links, coverage, problems
  import <dir> --project <dir>   build a project (with its features) from a dataset folder
  encode-images <dir> [--out DIR] [--encoder mobilenet|model.json] [--layer L] [--size 224] [--range 0-1|-1-1|0-255]
                                 image vectors from the folder's image_files.tsv with an offline tfjs model
  open <project>                 open a project and its cached features (rebuilt if stale)
${VERDICTS_USAGE}
${CURATE_USAGE}
options:
  --format F     ids | openea | mmkb | tsv (detected from the folder's files when absent)
  --names FILE   add names from DBP15K's translated-name JSON
  --word-vectors W
                 names get the mean of their words' vectors: wink (the bundled 100-d English
                 vectors) or a file (GloVe / fastText / word2vec text, or wink's JSON)
  --names-from-uris
                 train, eval, propose, simulate: entities without a name in a names file get their URI's
                 last segment as name (DBpedia and YAGO URIs carry the name; off by default, as the
                 field's published numbers do not use it)
  --fold DIR     OpenEA: the fold folder to take the split from (default: the first)
  --kg2 NAME     MMKB: the second graph, DB15K or YAGO15K (default: the first found)
  --name NAME    project name (import)
  --replace      overwrite an existing project (import)
  --seed-rate R  import: the fraction of the known pairs given as seeds when the dataset has no
                 split files (default 0.2); a dataset's own split is kept
  --json         standard output is JSON only

${TRAIN_USAGE}`;

function progressBar(json: boolean) {
  let last = '';
  return (fraction: number, stage: string) => {
    const line = json
      ? JSON.stringify({ progress: Math.round(fraction * 1000) / 1000, stage })
      : `[${'#'.repeat(Math.round(fraction * 30)).padEnd(30)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${stage}`;
    if (line === last) return;
    last = line;
    if (json || !process.stderr.isTTY) process.stderr.write(line + '\n');
    else process.stderr.write(`\r${line.padEnd(78)}`);
  };
}

function printInspection(i: Inspection): void {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(`${i.path}  (format: ${i.format})`);
  for (const g of i.graphs) {
    console.log(
      `  KG${g.side}: ${g.entities} entities, ${g.relations} relations used` +
        (g.relationsDeclared ? ` (${g.relationsDeclared} declared)` : '') +
        `, ${g.triples} triples` +
        (g.tripleLines !== g.triples ? ` (${g.tripleLines} lines)` : '') +
        `, ${g.attributeRows} entity-attribute pairs (${g.attributeNames} attributes, ${g.attributeValues} with values), ${g.names} names, ${g.images} images`,
    );
    console.log(
      `        coverage: structure ${pct(g.coverage.structure)}, attributes ${pct(g.coverage.attributes)}, names ${pct(g.coverage.names)}, images ${pct(g.coverage.images)}` +
        (g.nameVectors ? `, name word vectors ${pct(g.coverage.nameVectors)}` : ''),
    );
  }
  console.log(`  links: ${i.links.total} (train ${i.links.train}, valid ${i.links.valid}, test ${i.links.test})`);
  console.log(`  problems: ${i.report.errors} error(s), ${i.report.warnings} warning(s)`);
  for (const p of i.report.issues) console.log(`    ${p.file}${p.line === null ? '' : `:${p.line}`}: ${p.severity}: ${p.message}`);
}

/** Every command, with the help `mmea <command> --help` prints (one table: dispatch, help and the
 *  "did you mean" suggestions come from it). */
const COMMANDS: Record<string, string> = {
  inspect: USAGE,
  import: USAGE,
  open: USAGE,
  'encode-images': USAGE,
  train: TRAIN_USAGE,
  eval: TRAIN_USAGE,
  propose: TRAIN_USAGE,
  experiments: TRAIN_USAGE,
  models: TRAIN_USAGE,
  verdicts: `usage: mmea
${VERDICTS_USAGE}
`,
  simulate: `usage: mmea
${CURATE_USAGE}

${TRAIN_USAGE}`,
  export: `usage: mmea
${CURATE_USAGE}
`,
};

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (!(command in COMMANDS)) {
    const near = Object.keys(COMMANDS).filter((c) => distance(command, c) <= 2 || (command.length >= 3 && c.startsWith(command)));
    throw new UsageError(`unknown command '${command}'${near.length ? `; did you mean ${near.map((c) => `'${c}'`).join(' or ')}?` : ''}`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(COMMANDS[command]!);
    return 0;
  }
  if (command === 'train') return trainCommand(rest);
  if (command === 'eval') return evalCommand(rest);
  if (command === 'propose') return proposeCommand(rest);
  if (command === 'experiments') return experimentsCommand(rest);
  if (command === 'models') return modelsCommand(rest);
  if (command === 'encode-images') return encodeImagesCommand(rest);
  if (command === 'verdicts') return verdictsCommand(rest);
  if (command === 'simulate') return simulateCommand(rest);
  if (command === 'export') return exportCommand(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      names: { type: 'string' },
      'word-vectors': { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string' },
      replace: { type: 'boolean', default: false },
      format: { type: 'string' },
      fold: { type: 'string' },
      kg2: { type: 'string' },
      'seed-rate': { type: 'string' },
    },
  });
  if (values.format !== undefined && !(FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  }
  const readOptions = {
    format: values.format as DatasetFormat | undefined,
    names: values.names,
    fold: values.fold,
    kg2: values.kg2,
    wordVectors: values['word-vectors'],
  };
  const dir = positionals[0];
  if (!dir) throw new UsageError(`${command}: a ${command === 'open' ? 'project' : 'dataset'} folder is required`);
  const source = resolve(dir);

  if (command === 'open') {
    const t0 = performance.now();
    const project = await Project.open(source);
    const { features, cached } = await ensureFeatures(source, settingsWithSplit({ seedRate: project.manifest.seedRate }), progressBar(values.json));
    const seconds = (performance.now() - t0) / 1000;
    const out = {
      project: project.summary(),
      features: {
        cached,
        rows: features.rows,
        relationColumns: features.relationColumns.length,
        attributeColumns: features.attributeColumns.length,
        numericAttributes: features.numericNames.length,
        nameDims: features.names.cols,
        wordDims: features.words.dims,
        coverage: coverageCounts(features),
        split: { train: features.split.train.length / 2, valid: features.split.valid.length / 2, test: features.split.test.length / 2, source: features.split.source },
      },
      seconds,
      peakRssMB: peakRssMB(),
    };
    if (values.json) console.log(JSON.stringify(out));
    else console.log(JSON.stringify(out, null, 2));
    return 0;
  }

  if (command === 'inspect') {
    const report = new InputReport();
    const pair = await readDataset(source, report, readOptions);
    const inspection = inspectPair(source, pair, pair.format, report);
    if (values.json) console.log(JSON.stringify(inspection));
    else printInspection(inspection);
    return report.hasErrors ? 1 : 0;
  }

  if (command === 'import') {
    if (!values.project) throw new UsageError('import: --project <dir> is required');
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new MmeaError('cancelled', 'interrupted')));
    const seedRate = values['seed-rate'] === undefined ? undefined : Number(values['seed-rate']);
    if (seedRate !== undefined && !(seedRate > 0 && seedRate < 1)) throw new UsageError(`--seed-rate must be a fraction between 0 and 1 (exclusive), not ${values['seed-rate']}`);
    const t0 = Date.now();
    const result = await importJob(
      { source, project: values.project, name: values.name, replace: values.replace, seedRate, ...readOptions },
      { jobId: `cli-${process.pid}`, signal: abort.signal, progress: progressBar(values.json) },
    );
    if (!values.json && process.stderr.isTTY) process.stderr.write('\n');
    const seconds = (Date.now() - t0) / 1000;
    const split = (await Project.open(result.project)).summary().split;
    if (values.json) console.log(JSON.stringify({ ...result, split, seconds, peakRssMB: peakRssMB() }));
    else {
      console.log(`project written to ${result.project} in ${seconds.toFixed(1)} s (${result.warnings} warning(s))`);
      console.log(`split: ${describeSplit(split)}`);
    }
    return 0;
  }
  throw new UsageError(`unknown command '${command}'`); // (COMMANDS lists one this function does not run)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`mmea: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    const e = err as MmeaError;
    if (process.argv.includes('--json')) console.log(JSON.stringify({ error: { code: e.code ?? 'internal', message: e.message, details: e.details } }));
    process.stderr.write(`mmea: ${process.env.MMEA_DEBUG ? e.stack : e.message}\n`);
    process.exit(1);
  },
);
