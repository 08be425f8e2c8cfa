// The "New project" flow in headless Chromium: a corrupted dataset shows its error report (file and
// line) readably; a good one imports with progress and opens.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DATASET, startServe, tempDir, TEST_OUTPUT, type Served } from '../helpers';
import { launchChromium } from './browser';

describe('new project from a dataset folder', () => {
  const home = tempDir('mmea-e2e-np-');
  let served: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(join(TEST_OUTPUT, 'e2e'), { recursive: true });
    served = await startServe(home.path);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(served.url);
    await page.waitForSelector('[data-testid=project-name]:has-text("Demo")', { timeout: 20_000 });
    await page.click('[data-testid=view-graphs]'); // the app opens on the review screen (review.test.ts)
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    home.cleanup();
  });

  async function importFolder(source: string, name: string, seedPercent?: number) {
    if (!(await page.isVisible('[data-testid=new-project-form]'))) await page.click('[data-testid=new-project]');
    await page.fill('[data-testid=np-source]', source);
    await page.fill('[data-testid=np-name]', name);
    if (seedPercent !== undefined) await page.fill('[data-testid=np-seed-rate]', String(seedPercent));
    await page.click('[data-testid=np-import]');
  }

  it('shows every problem of a corrupted dataset with its file and line', async () => {
    const bad = join(home.path, 'bad-dataset');
    cpSync(DEMO_DATASET, bad, { recursive: true });
    const lines = readFileSync(join(bad, 'triples_1'), 'utf8').split('\n');
    lines[4] = 'not a triple';
    lines[8] = '1\t2\t999999';
    writeFileSync(join(bad, 'triples_1'), lines.join('\n'));
    await importFolder(bad, 'Broken');
    const report = page.locator('[data-testid=job-error]');
    await expect.poll(() => report.textContent(), { timeout: 20_000 }).toContain('triples_1:5');
    const text = (await report.textContent())!;
    expect(text).toContain('expected three integer ids');
    expect(text).toContain('triples_1:9');
    expect(text).toContain('unknown entity id 999999');
    await page.screenshot({ path: join(TEST_OUTPUT, 'e2e', 'import-error-report.png') });
    // the demo stays open
    expect(await page.textContent('[data-testid=project-name]')).toContain('Demo');
  });

  it("imports a good dataset and opens it; the failed import's report is gone", async () => {
    await importFolder(DEMO_DATASET, 'Second copy', 30); // it has its own split: the seed rate is not used
    await expect.poll(() => page.textContent('[data-testid=project-name]'), { timeout: 20_000 }).toBe('Second copy');
    expect(await page.textContent('[data-testid=counts-1]')).toMatch(/entities\s*340/);
    expect(await page.textContent('[data-testid=link-counts]')).toMatch(/54 seeds \+ 6 for validation, 240 held out \(the dataset's own split\)/);
    await expect.poll(() => page.$$eval('[data-testid=job-error]', (e) => e.length)).toBe(0);
  });

  it('shows the split training will draw for a dataset without split files, at the seed rate chosen', async () => {
    const nosplit = join(home.path, 'no-split');
    cpSync(DEMO_DATASET, nosplit, { recursive: true });
    rmSync(join(nosplit, 'sup_ent_ids'));
    rmSync(join(nosplit, 'dev_ent_ids'));
    await importFolder(nosplit, 'No split', 30);
    await expect.poll(() => page.textContent('[data-testid=project-name]'), { timeout: 20_000 }).toBe('No split');
    // 300 known pairs: 90 drawn for training (81 seeds + 9 validating), 210 held out — never "0 seeds"
    expect(await page.textContent('[data-testid=link-counts]')).toMatch(
      /300 known pairs · 81 seeds \+ 9 for validation, 210 held out \(no split in the data: drawn at 30 % of the known pairs, seed 42\)/,
    );
    // and that is what a round trains on: the first round's seed count
    await page.click('[data-testid=view-review]');
    expect(await page.textContent('[data-testid=round-estimate]')).toMatch(/^≈ \d+ s of training$/);
    await page.fill('.round-line .epochs', '5');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 1');
    await page.click('[data-testid=tab-rounds]');
    expect(await page.textContent('.round-line')).toMatch(/81 training pairs/);
    // its test figure is measured on the 210 held-out known pairs
    expect(await page.getAttribute('[data-testid=round-test]', 'title')).toMatch(/^210 pairs/);
  });
});
