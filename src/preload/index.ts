// The one bridge between the sandboxed renderer and main: `window.mmea`, built from the contract's
// channel names. ipcRenderer itself is never exposed.
import { contextBridge, ipcRenderer } from 'electron';
import { createApi } from '../shared/api';
import { EVENT_IPC_CHANNEL, type ChannelName, type EventName } from '../shared/channels';
import type { Envelope } from '../shared/errors';

const api = createApi({
  invoke: (channel: ChannelName, args: unknown) => ipcRenderer.invoke(channel, args) as Promise<Envelope<unknown>>,
  subscribe: (listener) => {
    const l = (_e: unknown, msg: { event: EventName; payload: unknown }) => listener(msg.event, msg.payload);
    ipcRenderer.on(EVENT_IPC_CHANNEL, l);
    return () => ipcRenderer.off(EVENT_IPC_CHANNEL, l);
  },
});

contextBridge.exposeInMainWorld('mmea', api);
