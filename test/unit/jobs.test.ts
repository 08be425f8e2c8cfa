import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src/shared/contract';
import { MmeaError } from '../../src/shared/errors';
import { nodeEngineSpawner } from '../../src/main/backend/engineHost';
import { JobManager } from '../../src/main/backend/jobs';
import { Project } from '../../src/engine/data/project';
import { DEMO_DATASET, ENGINE_ENTRY, SHARED_DATA, tempDir, skipWithout } from '../helpers';

function manager() {
  const events: EventMessage[] = [];
  const jobs = new JobManager(nodeEngineSpawner(ENGINE_ENTRY), (m) => events.push(m), 1000);
  return { jobs, events };
}

describe('long jobs in an engine process', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('imports a dataset: start, progress with stages, done; the project opens', async () => {
    const { jobs, events } = manager();
    const project = join(tmp.path, 'p1');
    const id = jobs.start('import', { source: DEMO_DATASET, project });
    const result = (await jobs.wait(id)) as { project: string };
    expect(result.project).toBe(project);
    const progress = events.filter((e) => e.event === 'jobs:progress').map((e) => e.payload as { fraction: number; stage: string; jobId: string });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((p) => p.jobId === id)).toBe(true);
    const fractions = progress.map((p) => p.fraction);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions); // never goes backwards
    expect(fractions.at(-1)).toBe(1);
    expect(events.at(-1)).toMatchObject({ event: 'jobs:done', payload: { jobId: id, kind: 'import' } });
    expect(jobs.list()).toEqual([expect.objectContaining({ jobId: id, state: 'done' })]);
    expect((await Project.open(project)).summary().graphs[0].entities).toBe(340);
  });

  it('trains HUMEA on the imported project in the engine process, with epoch progress and a run folder', async () => {
    const { jobs, events } = manager();
    const project = join(tmp.path, 'p1'); // imported by the test above
    const out = join(tmp.path, 'run1');
    const id = jobs.start('train', { project, out, options: { epochs: 6, checkPoint: 3 } });
    const result = (await jobs.wait(id)) as { epochs: number; backend: string; result: { last: { epoch: number; mean: { hits1: number } } } };
    expect(result.epochs).toBe(6);
    expect(result.result.last.epoch).toBe(6);
    const stages = events.filter((e) => e.event === 'jobs:progress').map((e) => (e.payload as { stage: string }).stage);
    expect(stages).toContain('epoch 6/6');
    expect(readdirSync(out).sort()).toEqual(['checkpoints', 'log.jsonl', 'result.json', 'run.json']);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['last', 'selected']);
  });

  it('reports bad input as a job error naming file and line, and leaves no project behind', async () => {
    const { jobs, events } = manager();
    const project = join(tmp.path, 'p2');
    const id = jobs.start('import', { source: join(DEMO_DATASET, '..'), project });
    const err = (await jobs.wait(id).catch((e: unknown) => e)) as MmeaError;
    expect(err.code).toBe('bad-input');
    expect(err.message).toMatch(/no dataset found/);
    expect(events.at(-1)).toMatchObject({ event: 'jobs:error', payload: { jobId: id, error: { code: 'bad-input' } } });
    expect(existsSync(project)).toBe(false);
  });

  const big = join(SHARED_DATA, 'mmkb', 'FB15K_DB15K_partialFB');
  it.skipIf(skipWithout(big, existsSync(big)))('cancels a running import: the process stops and nothing half-written is left', async () => {
    const { jobs, events } = manager();
    const project = join(tmp.path, 'p3');
    const id = jobs.start('import', { source: big, project });
    // wait until it is really working, then cancel
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.some((e) => e.event === 'jobs:progress')) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    expect(jobs.cancel(id)).toBe(true);
    const err = (await jobs.wait(id).catch((e: unknown) => e)) as MmeaError;
    expect(err.code).toBe('cancelled');
    expect(events.at(-1)).toMatchObject({ event: 'jobs:cancelled', payload: { jobId: id } });
    expect(jobs.list()[0]!.state).toBe('cancelled');
    expect(existsSync(project)).toBe(false);
    expect(readdirSync(tmp.path).filter((f) => f.startsWith('p3'))).toEqual([]);
    expect(jobs.cancel(id)).toBe(false); // already over
  });

  it('turns an engine process that dies mid-job into a job error', async () => {
    const events: EventMessage[] = [];
    // an engine that takes the job and crashes
    const crashing = join(tmp.path, 'crashing-engine.js');
    writeFileSync(crashing, "process.on('message', () => process.exit(3)); process.send({ type: 'ready' });");
    const jobs = new JobManager(nodeEngineSpawner(crashing), (m) => events.push(m));
    const id = jobs.start('import', { source: DEMO_DATASET, project: join(tmp.path, 'p4') });
    const err = (await jobs.wait(id).catch((e: unknown) => e)) as MmeaError;
    expect(err.code).toBe('engine');
    expect(err.message).toMatch(/exited \(code 3\)/);
    expect(events.at(-1)).toMatchObject({ event: 'jobs:error' });
  });
});
