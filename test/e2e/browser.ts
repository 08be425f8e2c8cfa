// Headless Debian Chromium through playwright-core, launched as environment.md prescribes.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServe, type Served } from '../helpers';

export function chromiumPath(): string {
  const candidates = [process.env.MMEA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error('No Chromium found: install Debian `chromium` (apt-get install chromium) or set MMEA_CHROMIUM');
  return found;
}

/** playwright-core gives every launch a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Browser mode on its own home, one Chromium page on it showing the demo project (imported there on
 *  first start), and the page errors seen (a test ends by expecting none). */
export async function openDemo(
  home: string,
  viewport: { width: number; height: number } = { width: 1400, height: 950 },
): Promise<{ served: Served; browser: Browser; page: Page; problems: string[]; close(): Promise<void> }> {
  const served = await startServe(home);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(served.url);
  await page.waitForSelector('[data-testid=project-name]:has-text("Demo")', { timeout: 60_000 });
  return { served, browser, page, problems, close: async () => (await browser.close(), await served.stop()) };
}
