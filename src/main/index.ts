// Electron entry: one window, hardened; every contract channel registered on ipcMain against the
// backend; engine jobs in utilityProcesses. Window and IPC only: the logic is in ./backend.
import { app, BrowserWindow, ipcMain, session, shell, utilityProcess, type IpcMainInvokeEvent } from 'electron';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHANNELS, EVENT_IPC_CHANNEL } from '../shared/channels';
import type { FromEngine } from '../engine/protocol';
import { Backend } from './backend';
import type { SpawnEngine } from './backend/engineHost';
import { appRoot } from './paths';

const devUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = join(__dirname, '..', 'renderer', 'index.html');
const rendererOrigin = devUrl ? new URL(devUrl).origin : null;

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
  return rendererOrigin ? url.startsWith(rendererOrigin) : url.startsWith(pathToFileURL(rendererFile).href);
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
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererFile);
}

app.on('web-contents-created', (_e, contents) => {
  // no navigation away from the renderer, no new windows; web links open in the system browser
  contents.on('will-navigate', (e, url) => {
    if (url !== contents.getURL()) e.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  // The built renderer is a file:// page whose CSP is the meta tag electron-vite's build injects
  // (electron.vite.config.ts). The dev server (electron-vite dev) runs without it, because Vite's
  // hot reload injects inline styles.
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
