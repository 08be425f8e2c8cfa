import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Backend } from '../../src/main/backend';
import { nodeEngineSpawner } from '../../src/main/backend/engineHost';
import { startBridge, type Bridge } from '../../src/main/bridge/server';
import { ENGINE_ENTRY, ROOT, tempDir } from '../helpers';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and resolves 'open' or the HTTP status it was refused with. */
function connect(url: string, headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

describe('browser-mode bridge', () => {
  const tmp = tempDir();
  let bridge: Bridge;
  let backend: Backend;
  beforeAll(async () => {
    backend = new Backend({ home: tmp.path, resources: join(ROOT, 'resources'), spawnEngine: nodeEngineSpawner(ENGINE_ENTRY), mode: 'browser', version: '0' });
    bridge = await startBridge({ backend, staticDir: join(ROOT, 'out', 'renderer') });
  });
  afterAll(async () => {
    await bridge.close();
    await backend.dispose();
    tmp.cleanup();
  });
  const origin = () => `http://127.0.0.1:${bridge.port}`;

  it('binds to the loopback address only', () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  });

  it('refuses a page request without the token or with a wrong one', async () => {
    expect((await get(bridge.port, '/')).status).toBe(403);
    expect((await get(bridge.port, '/?token=wrong')).status).toBe(403);
    expect((await get(bridge.port, '/', { cookie: 'mmea_token=wrong' })).status).toBe(403);
  });

  it('serves the renderer with the token, sets the cookie and the CSP', async () => {
    const res = await get(bridge.port, `/?token=${bridge.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<div id="app">');
    expect(String(res.headers['set-cookie'])).toMatch(/mmea_token=.*HttpOnly.*SameSite=Strict/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect((await get(bridge.port, '/', { cookie: `mmea_token=${bridge.token}` })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    expect((await get(bridge.port, `/?token=${bridge.token}`, { host: `evil.example:${bridge.port}` })).status).toBe(403);
  });

  it('refuses a WebSocket without the token, from another origin, or to another path', async () => {
    const ws = `ws://127.0.0.1:${bridge.port}/ws`;
    expect((await connect(ws, { origin: origin() })).status).toBe(403);
    expect((await connect(`${ws}?token=${bridge.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await connect(`${ws}?token=${bridge.token}`, {})).status).toBe(403); // no Origin at all
    expect((await connect(`ws://127.0.0.1:${bridge.port}/other?token=${bridge.token}`, { origin: origin() })).status).toBe(403);
  });

  it('answers contract calls over an authorised WebSocket, with typed errors', async () => {
    const { ws } = await connect(`ws://127.0.0.1:${bridge.port}/ws`, { origin: origin(), cookie: `mmea_token=${bridge.token}` });
    expect(ws).toBeDefined();
    const call = (id: number, channel: string, args: unknown) =>
      new Promise<unknown>((resolve) => {
        const on = (data: WebSocket.RawData) => {
          const msg = JSON.parse(String(data)) as { id?: number };
          if (msg.id === id) {
            ws!.off('message', on);
            resolve(msg);
          }
        };
        ws!.on('message', on);
        ws!.send(JSON.stringify({ id, channel, args }));
      });
    expect(await call(1, 'app:info', {})).toMatchObject({ id: 1, envelope: { ok: true, result: { mode: 'browser' } } });
    expect(await call(2, 'graph:entity', { id: 'x' })).toMatchObject({ id: 2, envelope: { ok: false, error: { code: 'invalid-args' } } });
    ws!.close();
  });
});
