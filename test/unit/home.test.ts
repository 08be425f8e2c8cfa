// The app's home (src/main/backend/home.ts) and what the backend serves from it: settings kept across
// restarts (a corrupt file falls back to the defaults), the project list, removal (deleting only what
// the app created, never the open project), and export downloads confined to the open project.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJob } from '../../src/engine/jobs/import';
import { Backend } from '../../src/main/backend';
import { Home } from '../../src/main/backend/home';
import { DEMO_DATASET, ROOT, tempDir } from '../helpers';

const ctx = (jobId: string) => ({ jobId, signal: new AbortController().signal, progress: () => {} });

describe("the app's home", () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const home = join(tmp.path, 'home');
  const inside = join(home, 'projects', 'a');
  const outside = join(tmp.path, 'elsewhere');
  beforeAll(async () => {
    await importJob({ source: DEMO_DATASET, project: inside, name: 'A' }, ctx('home-a'));
    await importJob({ source: DEMO_DATASET, project: outside, name: 'Elsewhere' }, ctx('home-b'));
  });

  it('keeps the settings, and reads a corrupt settings file as the defaults', () => {
    const h = new Home(join(tmp.path, 'fresh-home')); // not created yet: the first write makes it
    expect(h.settings()).toEqual({ curator: '', curatorAsked: false });
    expect(h.updateSettings({ curator: 'Ann', curatorAsked: true })).toEqual({ curator: 'Ann', curatorAsked: true });
    expect(new Home(join(tmp.path, 'fresh-home')).settings()).toEqual({ curator: 'Ann', curatorAsked: true });
    writeFileSync(join(tmp.path, 'fresh-home', 'settings.json'), '{ not json');
    expect(new Home(join(tmp.path, 'fresh-home')).settings()).toEqual({ curator: '', curatorAsked: false });
  });

  it('lists its projects and those opened from elsewhere; deletes only its own, never the open one', async () => {
    const backend = new Backend({
      home,
      resources: join(ROOT, 'resources'),
      spawnEngine: () => {
        throw new Error('no engine here');
      },
      mode: 'browser',
      version: '0',
    });
    try {
      await backend.open(outside); // remembered
      await backend.open(inside);
      const list = await backend.dispatch('project:list', {});
      expect(list).toMatchObject({ ok: true });
      const rows = (list as { result: { path: string; managed: boolean; open: boolean }[] }).result;
      expect(rows.map((r) => [r.path, r.managed, r.open]).sort()).toEqual(
        [
          [inside, true, true],
          [outside, false, false],
        ].sort(),
      );
      expect(await backend.dispatch('project:remove', { path: inside })).toMatchObject({ ok: false, error: { code: 'conflict' } });
      expect(existsSync(inside)).toBe(true);
      // a project from elsewhere is forgotten, its folder kept
      expect(await backend.dispatch('project:remove', { path: outside })).toMatchObject({ ok: true, result: [{ path: inside }] });
      expect(existsSync(outside)).toBe(true);
      // the export downloads: plain names inside the open project's exports/ only
      mkdirSync(join(inside, 'exports', '2026-x'), { recursive: true });
      writeFileSync(join(inside, 'exports', '2026-x', 'alignment.tsv'), 'x');
      expect(backend.exportFile('2026-x', 'alignment.tsv')).toBe(join(inside, 'exports', '2026-x', 'alignment.tsv'));
      for (const [dir, name] of [
        ['..', 'verdicts.jsonl'],
        ['2026-x', '../../project.json'],
        ['.', 'alignment.tsv'],
        ['2026-x', 'missing.tsv'],
      ]) {
        expect(() => backend.exportFile(dir!, name!), `${dir}/${name}`).toThrow(/no (such )?export/);
      }
    } finally {
      await backend.dispose();
    }
  });
});

describe('what killed jobs left behind', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('is removed when the app starts (imports) and when a project opens (rounds)', async () => {
    const home = join(tmp.path, 'home');
    const project = join(home, 'projects', 'p');
    await importJob({ source: DEMO_DATASET, project }, ctx('sweep'));
    // an import and a round killed mid-way (the app killed with them)
    const importScratch = join(home, 'projects', 'q.partial-1234-abcd');
    mkdirSync(join(importScratch, 'features'), { recursive: true });
    const roundScratch = join(project, 'rounds', '.partial-5678');
    mkdirSync(roundScratch, { recursive: true });
    writeFileSync(join(roundScratch, 'round.json'), '{');
    const backend = new Backend({
      home,
      resources: join(ROOT, 'resources'),
      spawnEngine: () => {
        throw new Error('no engine here');
      },
      mode: 'browser',
      version: '0',
    });
    try {
      expect(existsSync(importScratch)).toBe(false);
      expect(existsSync(project)).toBe(true); // a project is never taken for scratch
      await backend.open(project);
      expect(existsSync(roundScratch)).toBe(false);
      expect(await backend.dispatch('curation:rounds', {})).toMatchObject({ ok: true, result: [] });
    } finally {
      await backend.dispose();
    }
  });
});
