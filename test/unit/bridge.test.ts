import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Backend } from '../../src/main/backend';
import { nodeEngineSpawner } from '../../src/main/backend/engineHost';
import { MAX_MESSAGE, startBridge, type Bridge } from '../../src/main/bridge/server';
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

  it('survives every class of bad message: the offending socket is closed with a reason, the others are served', async () => {
    const open = async () => (await connect(`ws://127.0.0.1:${bridge.port}/ws`, { origin: origin(), cookie: `mmea_token=${bridge.token}` })).ws!;
    const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    const bystander = await open();
    const stillServed = () =>
      new Promise<unknown>((resolve) => {
        bystander.once('message', (d) => resolve(JSON.parse(String(d))));
        bystander.send(JSON.stringify({ id: 7, channel: 'app:info', args: {} }));
      });
    const cases: { name: string; send: (ws: WebSocket) => void; code: number; reason?: RegExp }[] = [
      { name: 'JSON null', send: (ws) => ws.send('null'), code: 1008, reason: /malformed request: not a \{id, channel, args\} object/ },
      { name: 'a JSON number', send: (ws) => ws.send('42'), code: 1008, reason: /not a \{id, channel, args\}/ },
      { name: 'an array', send: (ws) => ws.send('[1,2]'), code: 1008 },
      { name: 'not JSON', send: (ws) => ws.send('{"id": 1, '), code: 1008, reason: /not JSON/ },
      { name: 'no channel', send: (ws) => ws.send('{"id": 1, "args": {}}'), code: 1008, reason: /no channel/ },
      { name: 'an object id', send: (ws) => ws.send('{"id": {"x": 1}, "channel": "app:info"}'), code: 1008, reason: /id is neither/ },
      { name: 'a binary frame', send: (ws) => ws.send(Buffer.from('{"id":1,"channel":"app:info"}'), { binary: true }), code: 1008, reason: /binary/ },
      { name: 'over the size limit', send: (ws) => ws.send('x'.repeat(MAX_MESSAGE + 1)), code: 1009 },
      { name: 'invalid UTF-8', send: (ws) => ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false }), code: 1007 },
      { name: 'protocol garbage', send: (ws) => (ws as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.from([0xff, 0xff, 0x00, 0x01, 0x02])), code: 1002 },
    ];
    for (const c of cases) {
      const ws = await open();
      const done = closed(ws);
      c.send(ws);
      const { code, reason } = await done;
      // ws's client reports 1006 when the server cut a broken connection without a close frame
      expect([c.code, 1006], c.name).toContain(code);
      if (c.reason && code === 1008) expect(reason, c.name).toMatch(c.reason);
      expect(await stillServed(), `served after ${c.name}`).toMatchObject({ id: 7, envelope: { ok: true } });
    }
    // garbage instead of HTTP on a fresh connection: refused, and the server goes on
    await new Promise<void>((resolve) => {
      const s = netConnect(bridge.port, '127.0.0.1', () => s.end('\x00\x01 not http\r\n\r\n'));
      s.on('data', () => {});
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect(await stillServed()).toMatchObject({ id: 7, envelope: { ok: true } });
    bystander.close();
  });
});
