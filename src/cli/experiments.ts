// `mmea experiments <plan.json>`: a set of training runs (the reference's run_all.sh: main table,
// ablations, sweeps) run one after another, each `mmea train --json` in its own process (its own
// peak memory, and one failing run does not end the plan), then a summary over seeds: mean ± sample
// standard deviation of the test metrics of the validation-selected, best-on-test and last epochs,
// as Markdown and JSON. A finished run (result.json) is reused and an interrupted one resumed, so
// rerunning a plan continues it. The plan format is in docs/cli.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { RunResult } from '../engine/training/run';
import { MODEL_IDS, MODELS, type ModelId } from '../shared/models';
import { OPTIONS, UsageError } from './train';

const value = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
/** the models a run is repeated for: 'all' (every registered model: a leaderboard) or a list */
const models = z.union([z.literal('all'), z.array(z.enum(MODEL_IDS as [ModelId, ...ModelId[]])).min(1)]).optional();
const planSchema = z
  .object({
    /** dataset or project folder, relative to the plan file */
    data: z.string().optional(),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([42]),
    models,
    /** `mmea train` options (their command-line names) for every run */
    options: z.record(z.string(), value).default({}),
    runs: z
      .array(
        z
          .object({
            label: z.string().min(1),
            data: z.string().optional(),
            options: z.record(z.string(), value).default({}),
            models,
            /** one run per value of each listed option (their product); `{name}` in the label is replaced */
            sweep: z.record(z.string(), z.array(value).min(1)).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type Plan = z.infer<typeof planSchema>;

/** Options we set per run ourselves, or that make no sense inside a plan. */
const RESERVED = new Set(['out', 'json', 'resume', 'seed', 'checkpoint', 'k']);

export interface PlannedRun {
  label: string;
  seed: number;
  dir: string;
  args: string[];
}

function toArgs(options: Record<string, z.infer<typeof value>>): string[] {
  const args: string[] = [];
  for (const [name, v] of Object.entries(options)) {
    if (!(name in OPTIONS) || RESERVED.has(name)) throw new UsageError(`plan: option "${name}" is not a train option a plan may set`);
    if (typeof v === 'boolean') {
      if (v) args.push(`--${name}`);
    } else args.push(`--${name}`, Array.isArray(v) ? v.join(',') : String(v));
  }
  return args;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9.=-]+/g, '_').replace(/^_|_$/g, '') || 'run';

/** The plan's runs, sweeps expanded, one per seed. */
export function expandPlan(plan: Plan, planDir: string, out: string): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const labels = new Set<string>();
  // each run's folder: labels that differ only in what a folder name drops ("θ 0.5", "α 0.5") must not
  // share one, or the second would resume the first's results as its own
  const folders = new Map<string, string>();
  for (const r of plan.runs) {
    let variants: { label: string; options: Record<string, z.infer<typeof value>> }[] = [{ label: r.label, options: r.options }];
    for (const [name, values] of Object.entries(r.sweep ?? {})) {
      variants = variants.flatMap((v) => values.map((x) => ({ label: v.label.replaceAll(`{${name}}`, String(x)), options: { ...v.options, [name]: x } })));
    }
    // one run per model (`{model}` in the label is its name; else the name is appended)
    const which = r.models ?? plan.models;
    if (which) {
      const ids = which === 'all' ? MODEL_IDS : which;
      variants = variants.flatMap((v) =>
        ids.map((id) => ({ label: v.label.includes('{model}') ? v.label.replaceAll('{model}', MODELS[id].title) : `${v.label} · ${MODELS[id].title}`, options: { ...v.options, model: id } })),
      );
    }
    for (const v of variants) {
      if (labels.has(v.label)) throw new UsageError(`plan: two runs are labelled "${v.label}" (put {option} in a sweep's label)`);
      labels.add(v.label);
      const folder = slug(v.label);
      const other = folders.get(folder);
      if (other !== undefined) throw new UsageError(`plan: runs "${other}" and "${v.label}" would share the folder ${folder} (their labels differ only in characters a folder name leaves out)`);
      folders.set(folder, v.label);
      const data = r.data ?? plan.data;
      if (!data) throw new UsageError(`plan: run "${v.label}" has no data folder (set "data" in the plan or the run)`);
      const args = ['--data', resolve(planDir, data), ...toArgs({ ...plan.options, ...v.options })];
      for (const seed of plan.seeds) runs.push({ label: v.label, seed, dir: join(out, folder, `seed-${seed}`), args: [...args, '--seed', String(seed)] });
    }
  }
  return runs;
}

type Selection = keyof RunResult['result'];
const SELECTIONS: Selection[] = ['validationSelected', 'bestOnTest', 'last'];
const METRICS = ['hits1', 'hits5', 'hits10', 'mrr', 'mr'] as const;

export interface Stat {
  mean: number;
  std: number; // sample standard deviation (0 for one seed)
  n: number;
}
export interface SummaryRow {
  label: string;
  seeds: number[];
  failed: number[];
  metrics: Partial<Record<Selection, Record<(typeof METRICS)[number] | 'epoch', Stat>>>;
  secondsPerEpoch: Stat | null;
  peakRssMB: number | null;
}

export function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function summarise(runs: PlannedRun[], results: Map<PlannedRun, RunResult | Error>): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const label of [...new Set(runs.map((r) => r.label))]) {
    const mine = runs.filter((r) => r.label === label);
    const ok = mine.filter((r) => !(results.get(r) instanceof Error) && results.get(r));
    const got = ok.map((r) => results.get(r) as RunResult);
    const metrics: SummaryRow['metrics'] = {};
    for (const sel of SELECTIONS) {
      const es = got.map((g) => g.result[sel]).filter((e) => e !== null);
      if (es.length === 0) continue;
      metrics[sel] = {
        epoch: stat(es.map((e) => e.epoch)),
        ...Object.fromEntries(METRICS.map((m) => [m, stat(es.map((e) => e.mean[m]))])),
      } as Record<(typeof METRICS)[number] | 'epoch', Stat>;
    }
    rows.push({
      label,
      seeds: ok.map((r) => r.seed),
      failed: mine.filter((r) => results.get(r) instanceof Error).map((r) => r.seed),
      metrics,
      secondsPerEpoch: got.length ? stat(got.map((g) => g.secondsPerEpoch)) : null,
      peakRssMB: got.length ? Math.max(...got.map((g) => g.peakRssMB)) : null,
    });
  }
  return rows;
}

const pm = (s: Stat | undefined, digits = 3) => (s ? (s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits)) : '–');

/** Every run in one table: the three selections' H@1, H@10 and MRR, speed and memory. */
function leaderboard(rows: SummaryRow[]): string[] {
  const out = ['| run | seeds | validation-selected H@1 | H@10 | MRR | best-on-test H@1 | MRR | last H@1 | MRR | s/epoch | peak RSS MB |', '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const { validationSelected: v, bestOnTest: b, last: l } = r.metrics;
    const seeds = `${r.seeds.length}${r.failed.length ? ` (${r.failed.length} failed)` : ''}`;
    out.push(
      `| ${r.label} | ${seeds} | ${pm(v?.hits1)} | ${pm(v?.hits10)} | ${pm(v?.mrr)} | ${pm(b?.hits1)} | ${pm(b?.mrr)} | ${pm(l?.hits1)} | ${pm(l?.mrr)} | ${pm(r.secondsPerEpoch ?? undefined, 2)} | ${r.peakRssMB ?? '–'} |`,
    );
  }
  return out;
}

export function markdown(rows: SummaryRow[]): string {
  const out: string[] = ['### All runs', '', ...leaderboard(rows), ''];
  const titles: Record<Selection, string> = {
    validationSelected: 'Validation-selected epoch (honest protocol)',
    bestOnTest: "Best epoch on test (the papers' selection; optimistic)",
    last: 'Last epoch',
  };
  for (const sel of SELECTIONS) {
    if (!rows.some((r) => r.metrics[sel])) continue;
    out.push(`### ${titles[sel]}`, '', '| run | seeds | epoch | H@1 | H@5 | H@10 | MRR | MR | s/epoch |', '|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const m = r.metrics[sel];
      const seeds = `${r.seeds.length}${r.failed.length ? ` (${r.failed.length} failed)` : ''}`;
      out.push(`| ${r.label} | ${seeds} | ${pm(m?.epoch, 0)} | ${pm(m?.hits1)} | ${pm(m?.hits5)} | ${pm(m?.hits10)} | ${pm(m?.mrr)} | ${pm(m?.mr, 1)} | ${pm(r.secondsPerEpoch ?? undefined, 2)} |`);
    }
    out.push('');
  }
  out.push('Test metrics are the mean of both directions; mean ± sample standard deviation over seeds.');
  return out.join('\n') + '\n';
}

function runOne(cli: string, run: PlannedRun, json: boolean): Promise<RunResult> {
  mkdirSync(run.dir, { recursive: true });
  const resume = existsSync(join(run.dir, 'checkpoints', 'last', 'manifest.json'));
  const args = [cli, 'train', ...run.args, '--out', run.dir, '--json', ...(resume ? ['--resume'] : [])];
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    let pending = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
      if (json) return;
      // the run's messages (evaluations) as plain lines; progress lines are left out
      const lines = (pending + b.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const m = (JSON.parse(line) as { message?: unknown }).message;
          if (typeof m === 'string') process.stderr.write(`  ${m}\n`);
        } catch {
          process.stderr.write(`  ${line}\n`); // not JSON: show it as it is
        }
      }
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      const why = `${run.label} (seed ${run.seed})`;
      if (code !== 0) return fail(new Error(`${why} exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
      try {
        ok(JSON.parse(last) as RunResult);
      } catch {
        fail(new Error(`${why}: its last line of output is not a result: ${last.slice(0, 200)}`));
      }
    });
  });
}

/** A run folder's result if the run trained all its epochs (a run stopped with Ctrl-C also writes
 *  result.json; it is resumed instead), else null. */
function finished(dir: string): RunResult | null {
  try {
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult;
    const { options } = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { options: { epochs: number } };
    return result.epochs >= options.epochs ? result : null;
  } catch {
    return null; // missing or unreadable: (re)run it
  }
}

export async function experimentsCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, json: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('experiments: a plan file is required');
  if (!v.out) throw new UsageError('experiments: --out <dir> is required');
  const planFile = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(planFile, 'utf8'));
  } catch (e) {
    throw new UsageError(`${planFile}: ${(e as Error).message}`);
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${planFile}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(plan)'}: ${i.message}`).join('; ')}`);
  const out = resolve(v.out);
  const runs = expandPlan(parsed.data, dirname(planFile), out);
  const cli = process.argv[1]!;
  if (v['dry-run']) {
    for (const r of runs) console.log(`node ${cli} train ${r.args.join(' ')} --out ${r.dir} --json`);
    return 0;
  }
  mkdirSync(out, { recursive: true });
  const results = new Map<PlannedRun, RunResult | Error>();
  const write = () => {
    const rows = summarise(runs, results);
    writeFileSync(join(out, 'summary.json'), JSON.stringify({ plan: planFile, runs: rows }, null, 2));
    writeFileSync(join(out, 'summary.md'), markdown(rows));
    return rows;
  };
  for (const [i, run] of runs.entries()) {
    const progress = { progress: i / runs.length, run: run.label, seed: run.seed };
    const done = finished(run.dir);
    if (done) {
      results.set(run, done);
      continue;
    }
    process.stderr.write(v.json ? JSON.stringify(progress) + '\n' : `[${i + 1}/${runs.length}] ${run.label}, seed ${run.seed}\n`);
    try {
      results.set(run, await runOne(cli, run, v.json));
    } catch (e) {
      results.set(run, e as Error);
      process.stderr.write(v.json ? JSON.stringify({ error: (e as Error).message }) + '\n' : `  failed: ${(e as Error).message}\n`);
    }
    write(); // a summary after every run, so an interrupted plan still has one
  }
  const rows = write();
  if (v.json) console.log(JSON.stringify({ out, runs: rows }));
  else process.stdout.write(markdown(rows) + `\nsummary in ${join(out, 'summary.md')} and summary.json\n`);
  return rows.some((r) => r.failed.length > 0) ? 1 : 0;
}
