// Every screen at the two window sizes a curator has (a 1024×700 laptop, a 1440×900 desktop), in
// headless Chromium over browser mode on the demo: nothing is clipped or pushed off screen (no
// horizontal scrolling; the controls a curator needs are inside the window), and empty states say
// what to do next. Screenshots go to test-output/e2e/screens/ for a person to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, TEST_OUTPUT } from '../helpers';
import { openDemo } from './browser';

const shots = join(TEST_OUTPUT, 'e2e', 'screens');
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;

/** The selectors of what must be fully inside the window, on every screen where they exist. */
const MUST_SHOW = [
  '[data-testid=train]',
  '[data-testid=v-confirm]',
  '[data-testid=v-skip]',
  '[data-testid=v-redo]',
  '[data-testid=help-open]',
  '[data-testid=new-project]',
  '[data-testid=projects]',
  '[data-testid=queue]',
  '[data-testid=evidence]',
];

async function checkLayout(page: Page, name: string, size: { width: number; height: number }): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}-${size.width}x${size.height}.png`) });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal overflow at ${size.width}×${size.height}`).toBeLessThanOrEqual(0);
  for (const sel of MUST_SHOW) {
    const box = await page.$(sel).then((e) => e?.boundingBox());
    if (!box) continue;
    expect(box.x, `${name}: ${sel} left edge`).toBeGreaterThanOrEqual(0);
    expect(box.x + Math.min(box.width, 40), `${name}: ${sel} off the right edge at ${size.width}`).toBeLessThanOrEqual(size.width);
    expect(box.y, `${name}: ${sel} below the window at ${size.height}`).toBeLessThan(size.height);
  }
}

describe('every screen at 1024×700 and 1440×900 (demo)', () => {
  const home = tempDir('mmea-e2e-screens-');
  let app: Awaited<ReturnType<typeof openDemo>>;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await openDemo(home.path, SIZES[0]);
    page = app.page;
  });
  afterAll(async () => {
    await app?.close();
    home.cleanup();
  });

  it('before the first round: says to train, and fits both sizes', async () => {
    expect(await page.textContent('[data-testid=review-empty]')).toMatch(/No round yet: .*Train the first round/);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await checkLayout(page, 'review-no-round', size);
    }
  });

  it('the review, its tabs, the help, the graphs and the forms fit both sizes', async () => {
    await page.setViewportSize(SIZES[1]);
    await page.fill('.round-line .epochs', '40');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 1');
    await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
    // nothing disagrees yet: the tab says so instead of showing an empty list
    await page.click('[data-testid=tab-disagreements]');
    expect(await page.textContent('[data-testid=disagreements]')).toMatch(/No disagreements/);
    await page.click('[data-testid=tab-disagreements]');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await checkLayout(page, 'review', size);
      await page.click('[data-testid=tab-rounds]');
      await checkLayout(page, 'review-rounds', size);
      await page.click('[data-testid=tab-export]');
      await checkLayout(page, 'review-export', size);
      await page.click('[data-testid=tab-export]');
      await page.keyboard.press('?');
      await checkLayout(page, 'review-help', size);
      await page.keyboard.press('Escape');
      await page.click('[data-testid=projects]');
      await page.waitForSelector('[data-testid=project-row]');
      await checkLayout(page, 'projects', size);
      await page.click('[data-testid=project-list] >> text=Close');
      await page.click('[data-testid=new-project]');
      await checkLayout(page, 'new-project', size);
      await page.click('[data-testid=new-project-form] >> text=Close');
      await page.click('[data-testid=view-graphs]');
      await page.waitForSelector('.cy canvas');
      await checkLayout(page, 'graphs', size);
      if (size === SIZES[0]) {
        // a hub's 2-hop neighbourhood: a readable few nodes first, more on request
        await page.fill('[data-testid=search-1]', 'The West Wing');
        await page.waitForSelector('[data-testid=panel-1] :text("1 match")');
        await page.click('[data-testid=entities-1] button >> nth=0');
        await expect.poll(() => page.textContent('[data-testid=selected-1]')).toBe('The West Wing');
        await page.selectOption('[data-testid=panel-1] .view-head select', '2');
        await page.waitForSelector('[data-testid=graph-more-1]');
        const drawn = async () => Number(await page.getAttribute('[data-testid=graph-1]', 'data-nodes'));
        await expect.poll(drawn).toBe(16);
        const total = Number(/of (\d+)/.exec((await page.textContent('[data-testid=panel-1] .entity-view'))!)![1]);
        await page.click('[data-testid=graph-more-1]');
        await expect.poll(drawn).toBe(Math.min(32, total));
        await checkLayout(page, 'graphs-hub-2hops', size);
      }
      await page.click('[data-testid=view-review]');
      await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
    }
  });
});
