import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AlignmentModel, BatchPlan } from '../src/engine/models/types';

export const ROOT = join(__dirname, '..');
export const DEMO_DATASET = join(ROOT, 'resources', 'demo', 'dataset');
/** The read-only benchmark data beside the repository (see ../shared/data/README.md). */
export const SHARED_DATA = join(ROOT, '..', 'shared', 'data');
export const ENGINE_ENTRY = join(ROOT, 'out', 'main', 'engine.js');
export const TEST_OUTPUT = join(ROOT, 'test-output');

export function tempDir(prefix = 'mmea-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Served {
  url: string;
  port: number;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts browser mode (the built out/main/serve.js) with its own MMEA_HOME; resolves with its URL. */
export async function startServe(home: string, extraArgs: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'out', 'main', 'serve.js'), '--json', '--home', home, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const { url, port } = JSON.parse(line) as { url: string; port: number };
  return {
    url,
    port,
    token: new URL(url).searchParams.get('token')!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A project's verdict journal as written (every line, in order). */
export interface JournalLine {
  seq: number;
  source: string;
  target: string | null;
  verdict: string;
  op: string;
  curator: string;
  audit?: boolean;
}
export const journalOf = (project: string): JournalLine[] =>
  readFileSync(join(project, 'verdicts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);

/**
 * Whether to skip a suite that needs something this machine may lack (../shared/data, a tmpfs mount).
 * Elsewhere the skip says why in its name; on CI (CI set) nothing may be missing, so a missing
 * requirement fails the run loudly instead of skipping.
 */
export function skipWithout(what: string, available: boolean): boolean {
  if (available) return false;
  if (process.env.CI) throw new Error(`${what} is missing on CI: the tests that need it would be skipped`);
  return true;
}

/** A model step's loss as a number: the step returns it as a scalar on the backend (read and disposed here). */
export function stepLoss(model: AlignmentModel, plan: BatchPlan): number {
  const value = model.step(plan);
  const loss = value.dataSync()[0]!;
  value.dispose();
  return loss;
}
