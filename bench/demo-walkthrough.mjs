#!/usr/bin/env node
// The demo as a new user, from `npm run app` to an export, scripted (the closing notes' walk-through):
// starts the app in browser mode on a fresh home, trains the first round with the defaults, reviews
// the first 12 items of the queue with the demo's known links as the curator's knowledge (confirm
// what they call right, reject what they call wrong, 'no counterpart' where they know none), exports,
// and prints each step's figures. Screenshots go to test-output/walkthrough/.
//   npm run build && node bench/demo-walkthrough.mjs
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createRequire } from 'node:module';
const repo = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(join(repo, 'package.json'));
const { chromium } = require('playwright-core');
const home = mkdtempSync(join(tmpdir(), 'mmea-walk-'));
const shots = join(repo, 'test-output', 'walkthrough');
mkdirSync(shots, { recursive: true });
const t0 = Date.now();
// `npm run app` is `node scripts/start.mjs`: run directly, so SIGTERM reaches it (it passes it on)
const app = spawn(process.execPath, [join(repo, 'scripts', 'start.mjs'), '--browser', '--home', home, '--json', '--no-build'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => {
  let out = '';
  app.stdout.on('data', (d) => {
    out += d;
    const l = out.split('\n').find((x) => x.startsWith('{'));
    if (l) resolve(JSON.parse(l).url);
  });
});
console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores`);
console.log(`npm run app → URL after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
await page.goto(url);
await page.waitForSelector('[data-testid=project-name]:has-text("Demo")', { timeout: 120000 });
console.log('header:', (await page.textContent('[data-testid=link-counts]')).trim());
console.log('names from URIs ticked:', await page.isChecked('[data-testid=names-from-uris]'), (await page.textContent('[data-testid=names-detected]'))?.trim());
console.log('estimate:', await page.textContent('[data-testid=round-estimate]'));
await page.fill('[data-testid=ask-name-input]', 'Walk Through');
await page.click('[data-testid=ask-name] >> text=Save');
await page.screenshot({ path: join(shots, '1-start.png') });
const t1 = Date.now();
await page.click('[data-testid=train]');
await page.waitForSelector('[data-testid=round-current]:has-text("Round 1")', { timeout: 300000 });
console.log(`first round (default epochs) in ${((Date.now() - t1) / 1000).toFixed(1)} s; ${(await page.textContent('.round-line .muted')).replace(/\s+/g, ' ').trim()}`);
await page.waitForSelector('[data-testid=evidence][data-ready]:not([data-ready=""])');
await page.screenshot({ path: join(shots, '2-round1.png') });
const links = new Map(
  readFileSync(join(repo, 'resources/demo/dataset/ill_ent_ids'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t').map(Number)),
);
const queue = JSON.parse(readFileSync(join(home, 'projects/demo/rounds/0001/queue.json'), 'utf8'));
const known = queue.filter((q) => links.has(q.source));
console.log(`queue: ${queue.length} items; first candidate right for ${known.filter((q) => q.candidates[0]?.target === links.get(q.source)).length} of ${known.length} with a known counterpart`);
// review the first 12 items in the app's order as a curator would: confirm when the shown pair is right, else reject
const decided = [];
for (let i = 0; i < 12; i++) {
  const src = Number(await page.getAttribute('.queue-row.selected', 'data-source'));
  await page.waitForSelector(`[data-testid=evidence][data-ready^="${src}:"]`);
  const tgt = Number(await page.getAttribute('.cand.selected', 'data-target'));
  const s = (await page.textContent('[data-testid=ev-source]')).trim();
  const t = (await page.textContent('[data-testid=ev-target]')).trim();
  const right = links.get(src) === tgt;
  const conflict = await page.$('.cand.selected.conflict');
  const key = conflict ? 's' : right ? 'c' : links.has(src) ? 'r' : 'n';
  decided.push(`${s} → ${t}: ${right ? 'right' : 'wrong'}${links.has(src) ? '' : ' (no known counterpart)'} → ${{ c: 'confirm', r: 'reject', n: 'no counterpart', s: 'skip' }[key]}`);
  await page.keyboard.press(key);
  await page.waitForFunction(() => !document.querySelector('.verdicts').textContent.includes('saving…'));
  if (key === 'r') await page.keyboard.press('s'); // move on after a reject (the next candidate is chosen)
  await page.waitForFunction(() => !document.querySelector('.verdicts').textContent.includes('saving…'));
}
console.log('reviewed:\n  ' + decided.join('\n  '));
console.log('counts:', (await page.textContent('[data-testid=counts]')).replace(/\s+/g, ' '));
await page.click('[data-testid=tab-export]');
await page.click('[data-testid=export]');
await page.waitForSelector('[data-testid=export-downloads] a');
console.log('export:', (await page.textContent('[data-testid=export-result]')).trim());
console.log('downloads:', (await page.$$eval('[data-testid=export-downloads] a', (as) => as.map((a) => a.textContent))).join(', '));
await page.screenshot({ path: join(shots, '3-export.png') });
await browser.close();
app.kill('SIGTERM');
await new Promise((resolve) => app.once('exit', resolve));
rmSync(home, { recursive: true, force: true });
