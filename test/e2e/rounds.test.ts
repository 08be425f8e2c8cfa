// Rounds across pages and reloads, in headless Chromium over browser mode, on the demo project: one
// round at a time per project (the backend refuses a second one, whichever page asks), a page
// reloaded mid-round shows the round in progress with its curve so far (Train disabled, the job
// bar naming the job), when the round ends every open page shows it without a reload, and its
// training curve, stored with the round, is drawn after a reload.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServe, tempDir, TEST_OUTPUT, type Served } from '../helpers';
import { launchChromium } from './browser';

/** Sends one contract request over a fresh WebSocket from the page (as the renderer does). */
function request(page: Page, channel: string, args: unknown): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
  return page.evaluate(
    ([channel, args]) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/ws`);
        ws.onerror = () => reject(new Error('no connection'));
        ws.onopen = () => ws.send(JSON.stringify({ id: 1, channel, args }));
        ws.onmessage = (e) => {
          const msg = JSON.parse(String(e.data)) as { id?: number; envelope?: unknown };
          if (msg.id === 1) {
            ws.close();
            resolve(msg.envelope as never);
          }
        };
      }),
    [channel, args] as const,
  );
}

describe('rounds across pages and reloads (demo)', () => {
  const home = tempDir('mmea-e2e-rounds-');
  let served: Served;
  let browser: Browser;
  let first: Page;
  let second: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(join(TEST_OUTPUT, 'e2e'), { recursive: true });
    served = await startServe(home.path);
    browser = await launchChromium();
    const open = async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(served.url);
      await page.waitForSelector('[data-testid=project-name]:has-text("Demo")', { timeout: 60_000 });
      return page;
    };
    first = await open();
    second = await open();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    home.cleanup();
  });

  it('refuses a second round while one runs, rehydrates a reloaded page, and updates every page when the round ends', async () => {
    await first.fill('.round-line .epochs', '400'); // long enough (~20 s here) to reload mid-round
    await first.click('[data-testid=train]');
    await first.waitForSelector('[data-testid=round-progress]', { timeout: 30_000 });
    // the other page learns of the round from the job events: progress shown, Train disabled
    await second.waitForSelector('[data-testid=round-progress]', { timeout: 30_000 });
    expect(await second.isDisabled('[data-testid=train]')).toBe(true);
    // the backend refuses a second round on the project, whoever asks
    const refused = await request(second, 'curation:train', { epochs: 5 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(refused.error!.message).toMatch(/a round is already running on Demo/);
    // a reload mid-round: the round in progress, its curve so far, Train disabled, the job named
    await first.waitForFunction(() => /epoch [1-9]/.test(document.querySelector('[data-testid=round-progress]')?.textContent ?? ''), null, { timeout: 60_000 });
    await first.reload();
    await first.waitForSelector('[data-testid=round-progress]', { timeout: 30_000 });
    expect(await first.textContent('[data-testid=round-progress]')).toMatch(/round 1: epoch \d+\/400/);
    expect(await first.isDisabled('[data-testid=train]')).toBe(true);
    expect(await first.textContent('[data-testid=job-title]')).toBe('round 1 on Demo: FB15K–DB15K slice, 400 epochs');
    await expect.poll(() => first.$$eval('.loss-chart canvas', (c) => c.length)).toBeGreaterThan(0); // the curve so far, drawn
    // the round ends: both pages show it, neither reloaded since
    for (const page of [first, second]) {
      await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 240_000 }).toBe('Round 1');
      await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
      expect(await page.isEnabled('[data-testid=train]')).toBe(true);
    }
    // the round's curve is stored with it: a page opened afterwards draws it, with its legend (the axis
    // titles are drawn on the canvas: see the screenshot)
    await first.reload();
    await first.waitForSelector('[data-testid=round-current]:has-text("Round 1")', { timeout: 30_000 });
    await first.click('[data-testid=tab-rounds]'); // the chart shows with the rounds table (and while a round trains)
    await first.waitForSelector('.loss-chart canvas', { timeout: 30_000 });
    const legend = await first.textContent('.loss-chart .u-legend');
    for (const name of ['loss', 'validation H@1']) expect(legend).toContain(name);
    await first.screenshot({ path: join(TEST_OUTPUT, 'e2e', 'round-chart-after-reload.png') });
    expect(problems).toEqual([]);
  }, 300_000); // a 400-epoch round, slower when other suites share the two cores
});
