// The "New project" flow in headless Chromium: a corrupted dataset shows its error report (file and
// line) readably; a good one imports with progress and opens.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  async function importFolder(source: string, name: string) {
    if (!(await page.isVisible('[data-testid=new-project-form]'))) await page.click('[data-testid=new-project]');
    await page.fill('[data-testid=np-source]', source);
    await page.fill('[data-testid=np-name]', name);
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

  it('imports a good dataset and opens it', async () => {
    await importFolder(DEMO_DATASET, 'Second copy');
    await expect.poll(() => page.textContent('[data-testid=project-name]'), { timeout: 20_000 }).toBe('Second copy');
    expect(await page.textContent('[data-testid=counts-1]')).toMatch(/entities\s*340/);
  });
});
