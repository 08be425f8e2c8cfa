// Builds the one domain-shaped API object (`window.mmea.graph.neighbourhood(...)`) from the
// contract's channel names and a transport. Used by the preload (transport = ipcRenderer) and by the
// renderer in browser mode (transport = the WebSocket bridge). Dependency-free on purpose: the
// sandboxed preload bundles it.
import { CHANNELS, type ChannelName, type EventName } from './channels';
import type { ArgsOf, EventPayloads, ResultOf } from './contract';
import { unwrap, type Envelope } from './errors';

type NamespaceOf<C extends string> = C extends `${infer N}:${string}` ? N : never;
type MethodsOf<N extends string> = {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends A`: every field of A is optional
  [C in ChannelName as C extends `${N}:${infer M}` ? M : never]: {} extends ArgsOf<C> ? (args?: ArgsOf<C>) => Promise<ResultOf<C>> : (args: ArgsOf<C>) => Promise<ResultOf<C>>;
};

export type MmeaApi = { [N in NamespaceOf<ChannelName>]: MethodsOf<N> } & {
  /** Subscribe to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
};

export interface Transport {
  invoke(channel: ChannelName, args: unknown): Promise<Envelope<unknown>>;
  /** Subscribe to all events; returns the unsubscribe function. */
  subscribe(listener: (event: EventName, payload: unknown) => void): () => void;
}

export function createApi(transport: Transport): MmeaApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const channel of CHANNELS) {
    const [ns, method] = channel.split(':') as [string, string];
    api[ns] ??= {};
    api[ns][method] = async (args: unknown = {}) => unwrap(await transport.invoke(channel, args));
  }
  const on = (event: EventName, listener: (payload: unknown) => void) =>
    transport.subscribe((name, payload) => {
      if (name === event) listener(payload);
    });
  return Object.assign(api, { on }) as unknown as MmeaApi;
}
