// The renderer's handle on the contract: the preload's `window.mmea` in Electron, or the same API
// over the browser-mode WebSocket bridge. Stores call it; components never do.
import { createApi, type MmeaApi, type Transport } from '../../../shared/api';
import type { ChannelName, EventName } from '../../../shared/channels';
import type { Envelope } from '../../../shared/errors';

function webSocketTransport(url: string, onConnection: (up: boolean) => void): Transport {
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  const pending = new Map<number, (env: Envelope<unknown>) => void>();
  let nextId = 1;
  const ws = new WebSocket(url);
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => {
      onConnection(true);
      resolve();
    });
    ws.addEventListener('error', () => reject(new Error('cannot connect to the MMEA Studio backend')));
  });
  opened.catch(() => {});
  ws.addEventListener('close', () => {
    onConnection(false);
    for (const done of pending.values()) {
      done({ ok: false, error: { code: 'engine', message: 'connection to the backend closed' } });
    }
    pending.clear();
  });
  ws.addEventListener('message', (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; envelope?: Envelope<unknown>; event?: EventName; payload?: unknown };
    if (msg.event) for (const l of listeners) l(msg.event, msg.payload);
    else if (typeof msg.id === 'number' && msg.envelope) {
      pending.get(msg.id)?.(msg.envelope);
      pending.delete(msg.id);
    }
  });
  return {
    async invoke(channel: ChannelName, args: unknown) {
      await opened;
      const id = nextId++;
      return new Promise<Envelope<unknown>>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, channel, args }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

let api: MmeaApi | null = null;
export const connection = { up: true, listeners: new Set<(up: boolean) => void>() };

export function getApi(): MmeaApi {
  if (api) return api;
  if (window.mmea) {
    api = window.mmea;
  } else {
    // browser mode: the token came in the URL once and is now an HttpOnly cookie; drop it from view
    if (location.search.includes('token=')) history.replaceState(null, '', location.pathname);
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    api = createApi(
      webSocketTransport(wsUrl, (up) => {
        connection.up = up;
        for (const l of connection.listeners) l(up);
      }),
    );
  }
  return api;
}
