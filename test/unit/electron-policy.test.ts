// The Electron window's security decisions (src/main/electronPolicy.ts) and the packaging fuses
// (electron-builder.json), checked in Node: the binary itself cannot run on these machines
// (docs/security.md says what only a build verifies).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY, appFile, isAppUrl, mayOpenExternal } from '../../src/main/electronPolicy';
import { ROOT } from '../helpers';

const dir = '/opt/mmea/out/renderer';

describe('Electron window policy', () => {
  it('serves the renderer from mmea://app, and only files inside its folder', () => {
    expect(APP_ENTRY).toBe('mmea://app/index.html');
    expect(appFile('mmea://app/index.html', dir)).toBe(join(dir, 'index.html'));
    expect(appFile('mmea://app/', dir)).toBe(join(dir, 'index.html'));
    expect(appFile('mmea://app/assets/index-1a2b.js', dir)).toBe(join(dir, 'assets', 'index-1a2b.js'));
    // dot segments are resolved by the URL itself: still inside the folder (and simply not found)
    expect(appFile('mmea://app/../../etc/passwd', dir)).toBe(join(dir, 'etc', 'passwd'));
    expect(appFile('mmea://app/%2e%2e/%2e%2e/etc/passwd', dir)).toBe(join(dir, 'etc', 'passwd'));
    // an encoded slash is not a dot segment for the URL: decoded, it would climb out, so it is refused
    for (const bad of ['mmea://app/..%2f..%2fsecret', 'mmea://other/index.html', 'file:///etc/passwd', 'https://evil.example/index.html', 'mmea://app/%E0%A4%A', 'not a url']) {
      expect(appFile(bad, dir), bad).toBeNull();
    }
  });

  it('knows its own origin (and the dev server’s in development), nothing else', () => {
    expect(isAppUrl('mmea://app/index.html')).toBe(true);
    expect(isAppUrl('mmea://app.evil/index.html')).toBe(false);
    expect(isAppUrl('file:///opt/mmea/out/renderer/index.html')).toBe(false);
    expect(isAppUrl('http://localhost:5173/index.html', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
  });

  it('opens only allow-listed https links in the system browser', () => {
    expect(mayOpenExternal('https://github.com/zjukg/MEAformer')).toBe(true);
    expect(mayOpenExternal('https://mapping-commons.github.io/sssom/')).toBe(true);
    for (const bad of ['http://github.com/x', 'https://github.com.evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://evil.example/'])
      expect(mayOpenExternal(bad), bad).toBe(false);
  });

  it('packages with the fuses that harden the binary', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'electron-builder.json'), 'utf8')) as { electronFuses: Record<string, boolean>; asar: boolean };
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.dist).toMatch(/electron-builder.*--config electron-builder\.json/);
  });
});
