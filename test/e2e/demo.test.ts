// Drives the real UI in headless Chromium over browser mode, on the bundled demo project, and
// asserts on what a person sees. Screenshots go to test-output/e2e/ (git-ignored).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelFromUri } from '../../src/engine/data/kg';
import { DEMO_DATASET, startServe, tempDir, TEST_OUTPUT, type Served } from '../helpers';
import { launchChromium } from './browser';

const shots = join(TEST_OUTPUT, 'e2e');

/** Non-blank pixels over every canvas Cytoscape drew inside `selector`. */
async function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.$$eval(`${selector} canvas`, (canvases) =>
    (canvases as HTMLCanvasElement[]).reduce((sum, c) => {
      if (c.width === 0 || c.height === 0) return sum;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return sum + n;
    }, 0),
  );
}

describe('demo project in the browser', () => {
  const home = tempDir('mmea-e2e-home-');
  let served: Served;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    served = await startServe(home.path);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => {
      // (the readback warning is caused by this test's own pixel probe, not by the app)
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('willReadFrequently')) {
        problems.push(`${m.type()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(served.url);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    home.cleanup();
  });

  it('opens the demo project and shows both graphs with their counts', async () => {
    await expect.poll(() => page.textContent('[data-testid=project-name]'), { timeout: 20_000 }).toContain('Demo');
    await page.click('[data-testid=view-graphs]'); // the app opens on the review screen (review.test.ts)
    // the dataset's own split (sup_ent_ids): 60 training pairs, of which a tenth validates
    expect(await page.textContent('[data-testid=link-counts]')).toMatch(/300 known pairs · 54 seeds \+ 6 for validation, 240 held out \(the dataset's own split\)/);
    for (const side of [1, 2]) {
      expect(await page.textContent(`[data-testid=counts-${side}]`)).toMatch(/entities\s*340/);
    }
    // the token is gone from the address bar once the page has loaded
    expect(page.url()).not.toContain('token=');
  });

  it('lists entity names and draws both neighbourhoods', async () => {
    await page.waitForSelector('[data-testid=entities-1] li');
    const names1 = await page.$$eval('[data-testid=entities-1] li .label', (els) => els.map((e) => e.textContent));
    const names2 = await page.$$eval('[data-testid=entities-2] li .label', (els) => els.map((e) => e.textContent));
    expect(names1.length).toBeGreaterThan(100);
    expect(names1).toContain("Breakfast at Tiffany's");
    expect(names2).toContain("Breakfast at Tiffany's (film)");
    // the first seed is selected on side 1, and its counterpart on side 2
    await expect.poll(() => page.textContent('[data-testid=selected-2]')).not.toBe('Select an entity');
    await expect.poll(() => inkedPixels(page, '[data-testid=graph-1]')).toBeGreaterThan(500);
    await expect.poll(() => inkedPixels(page, '[data-testid=graph-2]')).toBeGreaterThan(500);
    await page.screenshot({ path: join(shots, 'demo-project.png') });
  });

  it('searches; selecting a training seed also selects its counterpart in the other graph', async () => {
    await page.fill('[data-testid=search-1]', 'tiffany');
    await expect.poll(() => page.$$eval('[data-testid=entities-1] li', (els) => els.length)).toBe(1);
    await page.click('[data-testid=entities-1] li button');
    await expect.poll(() => page.textContent('[data-testid=selected-1]')).toBe("Breakfast at Tiffany's");

    // a seed pair of the demo, read from its files
    const [left, right] = readFileSync(join(DEMO_DATASET, 'sup_ent_ids'), 'utf8').split('\n')[0]!.split('\t').map(Number);
    const name1 = readFileSync(join(DEMO_DATASET, 'names_1'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${left}\t`))!
      .split('\t')[1]!
      .replace(/_/g, ' ');
    const uri2 = readFileSync(join(DEMO_DATASET, 'ent_ids_2'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${right}\t`))!
      .split('\t')[1]!;
    await page.fill('[data-testid=search-1]', name1);
    await page.click(`[data-testid=entities-1] li button.seed >> text="${name1}"`);
    await expect.poll(() => page.textContent('[data-testid=selected-1]')).toBe(name1);
    await expect.poll(() => page.textContent('[data-testid=selected-2]')).toBe(labelFromUri(uri2));
    await expect.poll(() => inkedPixels(page, '[data-testid=graph-2]')).toBeGreaterThan(500);
    await page.screenshot({ path: join(shots, 'search-and-select.png') });
  });

  it('ran without console errors, warnings or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
