// A curator's everyday needs, in headless Chromium over browser mode on the demo: the curator's
// name asked once and carried by every verdict and export, the `?` list of shortcuts, rollback that
// asks first and can be undone, exports downloaded from the browser, and a project list to open,
// switch and remove projects.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJob } from '../../src/engine/jobs/import';
import { DEMO_DATASET, journalOf, tempDir, type Served } from '../helpers';
import { openDemo } from './browser';

describe("a curator's everyday needs (demo)", () => {
  const home = tempDir('mmea-e2e-everyday-');
  const demo = join(home.path, 'projects', 'demo');
  let app: Awaited<ReturnType<typeof openDemo>>;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    app = await openDemo(home.path);
    ({ served, browser, page, problems } = app);
  });
  afterAll(async () => {
    await app?.close();
    home.cleanup();
  });

  const train = async (epochs: number, round: number) => {
    await page.fill('.round-line .epochs', String(epochs));
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe(`Round ${round}`);
    await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
  };

  it('asks for the curator’s name once; every verdict and export carries it', async () => {
    await page.waitForSelector('[data-testid=ask-name]');
    await page.fill('[data-testid=ask-name-input]', 'Ann Curator');
    await page.click('[data-testid=ask-name] >> text=Save');
    await expect.poll(() => page.$$eval('[data-testid=ask-name]', (e) => e.length)).toBe(0);
    expect(JSON.parse(readFileSync(join(home.path, 'settings.json'), 'utf8'))).toMatchObject({ curator: 'Ann Curator', curatorAsked: true });
    // another page (or a reload) is not asked again, and shows the name
    await page.reload();
    await page.waitForSelector('[data-testid=round-current]');
    expect(await page.$$eval('[data-testid=ask-name]', (e) => e.length)).toBe(0);
    await expect.poll(() => page.inputValue('[data-testid=curator]')).toBe('Ann Curator');
    await train(5, 1);
    await page.keyboard.press('n');
    await expect.poll(() => (existsSync(join(demo, 'verdicts.jsonl')) ? journalOf(demo).length : 0)).toBe(1);
    expect(journalOf(demo)[0]).toMatchObject({ verdict: 'none', curator: 'Ann Curator' });
    await page.keyboard.press('c');
    await expect.poll(() => journalOf(demo).length).toBe(2);
    expect(journalOf(demo)[1]).toMatchObject({ verdict: 'confirm', curator: 'Ann Curator' });
  });

  it('lists every shortcut on ?, and explains the evidence’s numbers', async () => {
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid=help]');
    const help = (await page.textContent('[data-testid=help]'))!;
    for (const line of ['Confirm the chosen candidate', 'Reject the chosen candidate', 'No counterpart', 'Skip', 'Undo', 'Redo', 'Blind mode', 'Shift+C', 'Ctrl+Z']) expect(help).toContain(line);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.$$eval('[data-testid=help]', (e) => e.length)).toBe(0);
    for (const heading of ['similarity', 'model weight', 'adds to this pair']) {
      expect((await page.getAttribute(`.modalities th:has-text("${heading}")`, 'title'))!.length).toBeGreaterThan(60);
    }
    expect(await page.textContent('[data-testid=evidence-legend]')).toContain('CSLS');
  });

  it('exports can be downloaded from the browser', async () => {
    await page.click('[data-testid=tab-export]');
    await page.click('[data-testid=export]');
    await page.waitForSelector('[data-testid=export-downloads] a');
    const dir = /→ (.*)$/.exec((await page.textContent('[data-testid=export-result]'))!)![1]!.trim();
    const href = (await page.getAttribute('[data-testid=export-downloads] a[download="alignment.tsv"]', 'href'))!;
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-downloads] a[download="alignment.tsv"]')]);
    const body = readFileSync((await download.path())!, 'utf8');
    expect(body).toBe(readFileSync(join(dir, 'alignment.tsv'), 'utf8'));
    const rows = parseCsv(body, { delimiter: '\t', columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.curator)).toEqual(['Ann Curator']);
    // only the open project's exports are served, and only with the token
    expect((await page.request.get(new URL(href.replace('alignment.tsv', '..%2Fverdicts.jsonl'), served.url).href)).status()).toBe(404);
    expect((await page.request.get(new URL('/download/../../settings.json', served.url).href)).status()).toBe(404);
    const anonymous = await browser.newContext();
    expect((await anonymous.request.get(new URL(href, served.url).href)).status()).toBe(403);
    await anonymous.close();
    await page.click('[data-testid=tab-export]');
  });

  it('asks before rolling back a round, and can undo the rollback', async () => {
    await train(5, 2);
    await page.click('[data-testid=tab-rounds]');
    await page.click('[data-testid=rollback]');
    expect(await page.textContent('[data-testid=rollback-confirm]')).toMatch(/Roll back round 2\? .* starts from round 1/);
    await page.click('[data-testid=rollback-confirm] >> text=Keep it');
    expect(await page.textContent('[data-testid=round-current]')).toBe('Round 2');
    expect(existsSync(join(demo, 'rounds', '0002', 'ROLLED_BACK'))).toBe(false);
    await page.click('[data-testid=rollback]');
    await page.click('[data-testid=rollback-yes]');
    await expect.poll(() => page.textContent('[data-testid=round-current]')).toBe('Round 1');
    await page.click('[data-testid=restore]');
    await expect.poll(() => page.textContent('[data-testid=round-current]')).toBe('Round 2');
    expect(await page.textContent('.round-table tr[data-round="2"]')).not.toContain('rolled back');
    await page.click('[data-testid=tab-rounds]');
  });

  it('opens, switches and removes projects from a project list', async () => {
    const ctx = (jobId: string) => ({ jobId, signal: new AbortController().signal, progress: () => {} });
    const second = join(home.path, 'projects', 'second');
    const scratch = join(home.path, 'projects', 'scratch');
    await importJob({ source: DEMO_DATASET, project: second, name: 'Second' }, ctx('everyday-2'));
    await importJob({ source: DEMO_DATASET, project: scratch, name: 'Scratch' }, ctx('everyday-3'));
    await page.click('[data-testid=projects]');
    await expect
      .poll(() => page.$$eval('[data-testid=project-row]', (rows) => rows.map((r) => r.textContent!.trim().split(/\s{2,}|in the app/)[0]).sort()))
      .toEqual(['Demo: FB15K–DB15K slice', 'Scratch', 'Second'].sort());
    // the open project cannot be removed: it has no button
    expect(await page.$$eval(`[data-testid=project-row][data-path="${demo}"] [data-testid=project-remove]`, (e) => e.length)).toBe(0);
    await page.click(`[data-testid=project-row][data-path="${second}"] [data-testid=project-open]`);
    await expect.poll(() => page.textContent('[data-testid=project-name]')).toBe('Second');
    await expect.poll(() => page.textContent('[data-testid=round-current]')).toBe('No round yet'); // its own review
    // removing asks first, then deletes the folder
    await page.click('[data-testid=projects]');
    await page.click(`[data-testid=project-row][data-path="${scratch}"] [data-testid=project-remove]`);
    expect(existsSync(scratch)).toBe(true);
    await page.click(`[data-testid=project-row][data-path="${scratch}"] [data-testid=project-remove-confirm]`);
    await expect.poll(() => page.$$eval('[data-testid=project-row]', (e) => e.length)).toBe(2);
    expect(existsSync(scratch)).toBe(false);
    // and back to the demo, its verdicts and rounds as they were
    await page.click(`[data-testid=project-row][data-path="${demo}"] [data-testid=project-open]`);
    await expect.poll(() => page.textContent('[data-testid=project-name]')).toContain('Demo');
    await expect.poll(() => page.textContent('[data-testid=round-current]')).toBe('Round 2');
    await expect.poll(() => page.textContent('[data-testid=counts]')).toMatch(/2 \/ \d+ reviewed/);
    expect(problems).toEqual([]);
  });
});
