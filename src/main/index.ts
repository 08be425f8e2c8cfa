// Electron entry: one window, hardened; every contract channel registered on ipcMain against the
// backend; engine jobs in utilityProcesses. Window and IPC only: the logic is in ./backend.
import { app, BrowserWindow, ipcMain, net, protocol, session, shell, utilityProcess, type IpcMainInvokeEvent } from 'electron';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHANNELS, EVENT_IPC_CHANNEL } from '../shared/channels';
import type { FromEngine } from '../engine/protocol';
import { Backend } from './backend';
import type { SpawnEngine } from './backend/engineHost';
import { appRoot } from './paths';
import { APP_ENTRY, APP_SCHEME, appFile, isAppUrl, mayOpenExternal } from './electronPolicy';
import { CONTENT_SECURITY_POLICY } from './security';

const devUrl = process.env.ELECTRON_RENDERER_URL;
const rendererDir = join(__dirname, '..', 'renderer');
const rendererOrigin = devUrl ? new URL(devUrl).origin : null;

// the renderer comes from our own privileged scheme, not file:// (a file:// page could read any
// file the OS lets it); registered before the app is ready, as Electron requires
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const spawnUtility: SpawnEngine = () => {
  const child = utilityProcess.fork(join(__dirname, 'engine.js'), [], { serviceName: 'MMEA engine', stdio: 'inherit' });
  let alive = true;
  child.once('exit', () => (alive = false));
  return {
    send: (msg) => {
      if (alive) child.postMessage(msg);
    },
    onMessage: (l) => child.on('message', (m: FromEngine) => l(m)),
    onExit: (l) => child.once('exit', (code) => l(code)),
    kill: () => {
      if (alive) child.kill();
    },
  };
};

/** Only our own window's top frame, showing our own renderer, may call the backend. */
function trustedSender(e: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  if (!win || e.sender !== win.webContents) return false;
  const url = e.senderFrame?.url ?? '';
  if (e.senderFrame !== e.sender.mainFrame) return false;
  return isAppUrl(url, rendererOrigin);
}

let win: BrowserWindow | null = null;

function createWindow(backend: Backend): void {
  win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'MMEA Studio',
    webPreferences: {
      preload: join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win?.show());
  const off = backend.onEvent((msg) => win?.webContents.send(EVENT_IPC_CHANNEL, msg));
  win.on('closed', () => {
    off();
    win = null;
  });
  void win.loadURL(devUrl ?? APP_ENTRY);
}

app.on('web-contents-created', (_e, contents) => {
  // no navigation away from the renderer, no new windows; web links open in the system browser
  contents.on('will-navigate', (e, url) => {
    if (url !== contents.getURL()) e.preventDefault();
  });
  // nor by a redirect, nor in a sub-frame
  contents.on('will-redirect', (e, url) => {
    if (!isAppUrl(url, rendererOrigin)) e.preventDefault();
  });
  contents.on('will-frame-navigate', (e) => {
    if (!isAppUrl(e.url, rendererOrigin)) e.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (mayOpenExternal(url)) void shell.openExternal(url); // an allow-list, never any URL a page names
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false); // (checks too, not only requests)
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appFile(request.url, rendererDir);
    if (!file) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
  // The built renderer is served from mmea://app/ (electronPolicy.ts) with the CSP as a header and
  // as the meta tag electron-vite's build injects (electron.vite.config.ts). The dev server
  // (electron-vite dev) runs without it, because Vite's hot reload injects inline styles.
  // the options `npm run app` passes on (README): --home DIR (or MMEA_HOME), --project DIR
  const { values: cli } = parseArgs({ args: process.argv.slice(1), options: { home: { type: 'string' }, project: { type: 'string' } }, strict: false, allowPositionals: true });
  const backend = new Backend({
    home: typeof cli.home === 'string' ? cli.home : (process.env.MMEA_HOME ?? app.getPath('userData')),
    resources: join(appRoot(__dirname), 'resources'),
    spawnEngine: spawnUtility,
    mode: 'electron',
    version: app.getVersion(),
  });
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (e, args: unknown) => {
      if (!trustedSender(e, win)) return { ok: false, error: { code: 'forbidden', message: 'untrusted sender' } };
      return backend.dispatch(channel, args);
    });
  }
  if (typeof cli.project === 'string') void backend.open(cli.project).catch((e: unknown) => console.error(`mmea: ${(e as Error).message}`));
  createWindow(backend);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(backend);
  });
  app.on('before-quit', () => void backend.dispose());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
