// `electron-vite build` (run by npm test, or by the global setup) must produce the three bundles,
// with a preload that a sandboxed renderer can load.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers';

const out = (p: string) => join(ROOT, 'out', p);

describe('electron-vite build output', () => {
  it('has the main, browser-mode and engine entries', () => {
    for (const f of ['main/index.js', 'main/serve.js', 'main/engine.js']) expect(existsSync(out(f)), f).toBe(true);
    expect(readFileSync(out('main/index.js'), 'utf8')).toContain('require("electron")');
    // browser mode and the engine run in plain Node: they must not load Electron
    for (const f of ['main/serve.js', 'main/engine.js']) expect(readFileSync(out(f), 'utf8')).not.toContain('require("electron")');
  });

  it('has a CommonJS preload that requires nothing but electron (sandbox)', () => {
    const preload = readFileSync(out('preload/index.js'), 'utf8');
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect([...new Set(required)]).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld');
  });

  it('has the renderer page with its script, styles and the CSP meta tag', () => {
    const html = readFileSync(out('renderer/index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js">/);
    expect(html).toMatch(/<link rel="stylesheet"[^>]*href="\.\/assets\/index-[\w-]+\.css">/);
    expect(html).toMatch(/http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;; script-src &#39;self&#39;/);
  });
});
