// The Electron window's security decisions as plain functions (no Electron import), so they are
// tested in Node on machines without the Electron binary; src/main/index.ts wires them in.
//  - the renderer is served from our own privileged scheme (mmea://app/…), not file://, and a request
//    resolves only to a file inside the built renderer folder;
//  - navigation, redirects and frame navigation never leave that origin;
//  - links open in the system browser only for an allow-list of documentation origins.
import { isAbsolute, join, normalize, relative } from 'node:path';

export const APP_SCHEME = 'mmea';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Origins a link may open in the system browser (the docs and papers the app cites). */
export const EXTERNAL_ORIGINS = ['https://github.com', 'https://mapping-commons.github.io', 'https://www.w3.org', 'https://arxiv.org'] as const;

/** The file of the built renderer a mmea://app/… request names, or null (another origin, or a path
 *  that would leave the folder). */
export function appFile(url: string, rendererDir: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  const file = normalize(join(rendererDir, path === '/' ? 'index.html' : path));
  const r = relative(rendererDir, file);
  return r === '' || r.startsWith('..') || isAbsolute(r) ? null : file;
}

/** Whether a URL is our own renderer's (the app origin, or the dev server's in development). */
export function isAppUrl(url: string, devOrigin: string | null = null): boolean {
  try {
    const o = new URL(url).origin;
    return url.startsWith(`${APP_ORIGIN}/`) || (devOrigin !== null && o === devOrigin);
  } catch {
    return false;
  }
}

/** Whether a link may open in the system browser: https to an allow-listed origin only. */
export function mayOpenExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (EXTERNAL_ORIGINS as readonly string[]).includes(u.origin);
  } catch {
    return false;
  }
}
