// Browser mode: the same contract served over HTTP + WebSocket, bound to the loopback address, so
// the unchanged renderer runs in any browser (no Electron binary here, a headless GPU box reached
// through an SSH tunnel, the end-to-end tests). Every request needs the per-run token (in the URL
// once, then an HttpOnly SameSite=Strict cookie); a WebSocket from another Origin and a request
// with a foreign Host header (DNS rebinding) are refused.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import sirv from 'sirv';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventMessage } from '../../shared/contract';
import type { Backend } from '../backend';
import { CONTENT_SECURITY_POLICY } from '../security';

export interface BridgeOptions {
  backend: Backend;
  /** the built renderer (out/renderer) */
  staticDir: string;
  port?: number;
  /** fixed token (tests); a random one per run otherwise */
  token?: string;
}

export interface Bridge {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const COOKIE = 'mmea_token';
/** the largest request a socket may send (16 MiB): a larger one closes that socket (1009) */
export const MAX_MESSAGE = 16 * 1024 * 1024;

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const host = '127.0.0.1';
  let port = 0;
  const serveStatic = sirv(opts.staticDir, { dev: false, etag: true, gzip: false, brotli: false });

  const okToken = (candidate: string | undefined | null) => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const allowedHosts = () => new Set([`${host}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${host}:${port}`, `http://localhost:${port}`]);
  const cookieToken = (req: IncomingMessage) =>
    req.headers.cookie
      ?.split(';')
      .map((c) => c.trim().split('='))
      .find(([k]) => k === COOKIE)?.[1];
  /** null when allowed, else the reason for refusing */
  const refuse = (req: IncomingMessage, url: URL): string | null => {
    if (!allowedHosts().has(req.headers.host ?? '')) return 'unexpected Host header';
    if (!okToken(url.searchParams.get('token')) && !okToken(cookieToken(req))) return 'missing or wrong token';
    return null;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const reason = refuse(req, url);
    if (reason) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(`Forbidden: ${reason}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    res.setHeader('set-cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    // an export of the open project, as a download (browser mode has no file system of its own)
    const download = /^\/download\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (download) {
      let file: string;
      try {
        file = opts.backend.exportFile(decodeURIComponent(download[1]!), decodeURIComponent(download[2]!));
      } catch (e) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(e as Error).message}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${basename(file)}"` });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
      return;
    }
    serveStatic(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  wss.on('error', () => {}); // (errors belong to single sockets, handled in serveSocket)
  // garbage on a connection before it is HTTP: answer 400 and close it, never throw
  server.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // a client that resets mid-handshake
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const reason = url.pathname !== '/ws' ? 'not found' : !allowedOrigins().has(req.headers.origin ?? '') ? 'cross-origin request' : refuse(req, url);
    if (reason) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nForbidden: ${reason}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, opts.backend));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * One renderer connection: requests `{id, channel, args}` (JSON text, MAX_MESSAGE bytes at most)
 * answered by `{id, envelope}`; events pushed. No message, frame or connection pattern may bring the
 * server down: a malformed request closes its own socket with a reason (1008; ws itself closes on an
 * oversized message with 1009, invalid UTF-8 with 1007, a protocol error with 1002), every socket has
 * an error handler, and every request is handled inside its own try/catch.
 */
function serveSocket(ws: WebSocket, backend: Backend): void {
  const off = backend.onEvent((msg: EventMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  });
  ws.on('close', off);
  // ws reports a bad frame here and closes the socket with the matching code; without a listener
  // the error would be thrown and stop the process
  ws.on('error', () => ws.terminate());
  const refuse = (why: string) => ws.close(1008, `malformed request: ${why}`.slice(0, 120));
  ws.on('message', async (data, isBinary) => {
    try {
      if (isBinary) return refuse('binary frames are not requests');
      let req: unknown;
      try {
        req = JSON.parse(String(data));
      } catch {
        return refuse('not JSON');
      }
      if (typeof req !== 'object' || req === null || Array.isArray(req)) return refuse('not a {id, channel, args} object');
      const { id, channel, args } = req as { id?: unknown; channel?: unknown; args?: unknown };
      if (typeof channel !== 'string') return refuse('no channel');
      if (id !== undefined && id !== null && typeof id !== 'number' && typeof id !== 'string') return refuse('id is neither a number nor a string');
      const envelope = await backend.dispatch(channel, args);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: id ?? null, envelope }));
    } catch (e) {
      // dispatch answers every handler error as an envelope; anything else is ours: say so, keep serving
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: null, envelope: { ok: false, error: { code: 'internal', message: (e as Error).message } } }));
    }
  });
}
