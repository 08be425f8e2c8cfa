// Choosing the model of a round in the app, in headless Chromium over browser mode on the demo: the
// rounds bar offers every registered model with a settings form generated from its options schema;
// a round trained with MCLEA is recorded and shown as MCLEA's, and switching back to HUMEA starts
// afresh instead of loading MCLEA's parameters; a round trained with LoginMEA shows its own
// per-entity modality weights in the evidence panel; so do rounds trained with MPSEA and with CLAMEA.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundDir } from '../../src/engine/curation/rounds';
import { MODEL_IDS, MODELS } from '../../src/shared/models';
import { optionFields } from '../../src/shared/models/fields';
import { tempDir } from '../helpers';
import { openDemo } from './browser';

describe('the model of a round (demo)', () => {
  const home = tempDir('mmea-e2e-models-');
  const demo = join(home.path, 'projects', 'demo');
  let app: Awaited<ReturnType<typeof openDemo>>;
  let page: Page;

  beforeAll(async () => {
    app = await openDemo(home.path);
    page = app.page;
  });
  afterAll(async () => {
    await app?.close();
    home.cleanup();
  });

  const options = () => page.$$eval('[data-testid=model-settings] [data-option]', (ls) => ls.map((l) => l.getAttribute('data-option')));
  const round = (n: number) => JSON.parse(readFileSync(join(roundDir(demo, n), 'round.json'), 'utf8')) as { model: string; warmStartFrom: number | null; epoch: number };
  /** The evidence panel's own-weight cells ("source / target", one per modality): `count` of them,
   *  each side's summing to 1 within `tolerance` (each shown rounded to three decimals). */
  const expectOwnWeights = async (count: number, tolerance: number) => {
    const cells = await page.$$eval('[data-testid=entity-weight]', (tds) => tds.map((t) => t.textContent!.trim()));
    expect(cells).toHaveLength(count);
    for (const side of [0, 1]) {
      const w = cells.map((c) => Number(c.split(' / ')[side]));
      expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(tolerance);
    }
  };

  it('offers every model with its own generated settings, trains a round with MCLEA and names it', async () => {
    await page.click('[data-testid=settings-summary]');
    expect(await page.$$eval('[data-testid=model-select] option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(MODEL_IDS);
    // HUMEA's form: its options but the round's own epochs
    expect(await options()).toEqual(
      optionFields('humea')
        .map((f) => f.key)
        .filter((k) => k !== 'epochs'),
    );
    await page.selectOption('[data-testid=model-select]', 'mclea');
    expect(await page.textContent('[data-testid=settings-summary]')).toBe(`${MODELS.mclea.title} settings`);
    const mclea = await options();
    expect(mclea).toContain('projection');
    expect(mclea).not.toContain('experts');
    await page.fill('[data-option=projection] input', '50');
    await page.dispatchEvent('[data-option=projection] input', 'change');
    await page.fill('.round-line .epochs', '5');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 1');
    expect(round(1).model).toBe('mclea');
    const manifest = JSON.parse(readFileSync(join(roundDir(demo, 1), 'checkpoint', 'manifest.json'), 'utf8')) as { model: string; options: { projection: number } };
    expect(manifest.model).toBe('mclea');
    expect(manifest.options.projection).toBe(50); // the form's change reached the engine
    await page.click('[data-testid=tab-rounds]');
    expect(await page.textContent('[data-round="1"] [data-testid=round-model]')).toBe('MCLEA');
    expect(app.problems).toEqual([]);
  });

  it('starts afresh when the next round trains another model', async () => {
    await page.selectOption('[data-testid=model-select]', 'humea');
    await page.fill('.round-line .epochs', '5');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 2');
    expect(round(2)).toMatchObject({ model: 'humea', warmStartFrom: null, epoch: 5 });
    expect(await page.textContent('[data-round="2"] [data-testid=round-model]')).toBe('HUMEA');
    expect(app.problems).toEqual([]);
  });

  it('trains a round with LoginMEA; the evidence panel shows the pair’s own modality weights', async () => {
    await page.selectOption('[data-testid=model-select]', 'loginmea');
    expect(await page.textContent('[data-testid=settings-summary]')).toBe(`${MODELS.loginmea.title} settings`);
    expect(await options()).toContain('rank');
    await page.fill('[data-option=hidden] input', '16');
    await page.dispatchEvent('[data-option=hidden] input', 'change');
    await page.fill('.round-line .epochs', '3');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 3');
    expect(round(3)).toMatchObject({ model: 'loginmea', warmStartFrom: null, epoch: 3 });
    expect(await page.textContent('[data-round="3"] [data-testid=round-model]')).toBe('LoginMEA'); // the rounds table is still open
    await page.click('[data-testid=tab-rounds]'); // back to the review
    await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
    // the fused modalities (relations, attributes): source / target weights, each side's summing to 1
    await expectOwnWeights(2, 0.002);
    expect(await page.$$eval('.modalities td.contribution', (tds) => tds.map((t) => t.textContent!.trim()).filter(Boolean))).toEqual([]);
    expect(app.problems).toEqual([]);
  });

  it('trains a round with MPSEA; the evidence panel shows each entity’s weights over every modality, numbers included', async () => {
    await page.click('[data-testid=tab-rounds]');
    await page.selectOption('[data-testid=model-select]', 'mpsea');
    expect(await page.textContent('[data-testid=settings-summary]')).toBe(`${MODELS.mpsea.title} settings`);
    expect(await options()).toContain('cprl');
    await page.fill('[data-option=hidden] input', '20'); // a multiple of its 5 fusion heads
    await page.dispatchEvent('[data-option=hidden] input', 'change');
    await page.fill('.round-line .epochs', '3');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 4');
    expect(round(4)).toMatchObject({ model: 'mpsea', warmStartFrom: null, epoch: 3 });
    await page.click('[data-testid=tab-rounds]');
    await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
    // structure, relations, attributes and numbers: source / target weights, each side's summing to 1
    await expectOwnWeights(4, 0.004);
    expect(app.problems).toEqual([]);
  });

  it('trains a round with CLAMEA; the evidence panel shows its fusion weights of attributes and structure', async () => {
    await page.click('[data-testid=tab-rounds]');
    await page.selectOption('[data-testid=model-select]', 'clamea');
    expect(await page.textContent('[data-testid=settings-summary]')).toBe(`${MODELS.clamea.title} settings`);
    expect(await options()).toEqual(expect.arrayContaining(['mfe', 'dmmg', 'cmae', 'transeBatch']));
    await page.fill('[data-option=dim] input', '20'); // a multiple of its 2 and 5 attention heads
    await page.dispatchEvent('[data-option=dim] input', 'change');
    await page.fill('.round-line .epochs', '2');
    await page.click('[data-testid=train]');
    await expect.poll(() => page.textContent('[data-testid=round-current]'), { timeout: 120_000 }).toBe('Round 5');
    expect(round(5)).toMatchObject({ model: 'clamea', warmStartFrom: null, epoch: 2 });
    const manifest = JSON.parse(readFileSync(join(roundDir(demo, 5), 'checkpoint', 'manifest.json'), 'utf8')) as { model: string; options: { dim: number } };
    expect(manifest.options.dim).toBe(20);
    await page.click('[data-testid=tab-rounds]');
    await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
    // DMAFF's weights of the attributes and the structure: source / target, each side's summing to 1
    await expectOwnWeights(2, 0.002);
    expect(app.problems).toEqual([]);
  });
});
