import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApi, type Transport } from '../../src/shared/api';
import { CHANNELS, EVENTS } from '../../src/shared/channels';
import { contract } from '../../src/shared/contract';
import { MmeaError, type Envelope } from '../../src/shared/errors';
import { Backend } from '../../src/main/backend';
import { CONTENT_SECURITY_POLICY, CYTOSCAPE_STYLESHEET, CYTOSCAPE_STYLESHEET_HASH } from '../../src/main/security';
import { DEMO_DATASET, ROOT, tempDir } from '../helpers';
import { join } from 'node:path';

const noEngine = () => {
  throw new Error('no engine in this test');
};

describe('contract', () => {
  it('declares every channel namespaced and every event', () => {
    expect(Object.keys(contract).sort()).toEqual([...CHANNELS].sort());
    for (const c of [...CHANNELS, ...EVENTS]) expect(c).toMatch(/^[a-z]+:[a-zA-Z]+$/);
  });

  it('builds one domain-shaped API whose calls go through the transport and rebuild errors', async () => {
    const calls: [string, unknown][] = [];
    const transport: Transport = {
      async invoke(channel, args) {
        calls.push([channel, args]);
        if (channel === 'graph:entity') return { ok: false, error: { code: 'not-found', message: 'no entity with id 7' } };
        return { ok: true, result: { version: '1' } } as Envelope<unknown>;
      },
      subscribe: () => () => {},
    };
    const api = createApi(transport);
    expect(Object.keys(api).sort()).toEqual(['app', 'curation', 'graph', 'images', 'jobs', 'on', 'project', 'settings', 'verdicts']);
    expect(await api.app.info()).toEqual({ version: '1' });
    const err = await api.graph.entity({ id: 7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MmeaError);
    expect((err as MmeaError).code).toBe('not-found');
    expect(calls).toEqual([
      ['app:info', {}],
      ['graph:entity', { id: 7 }],
    ]);
  });

  it('delivers only the subscribed event to a listener, and unsubscribes', () => {
    let emit: (e: (typeof EVENTS)[number], p: unknown) => void = () => {};
    const api = createApi({
      invoke: async () => ({ ok: true, result: null }),
      subscribe: (l) => {
        emit = l;
        return () => (emit = () => {});
      },
    });
    const got: unknown[] = [];
    const off = api.on('jobs:done', (p) => got.push(p));
    emit('jobs:progress', { a: 1 });
    emit('jobs:done', { b: 2 });
    off();
    emit('jobs:done', { c: 3 });
    expect(got).toEqual([{ b: 2 }]);
  });

  it('validates arguments at the boundary and answers with typed error envelopes', async () => {
    const tmp = tempDir();
    const backend = new Backend({ home: tmp.path, resources: join(ROOT, 'resources'), spawnEngine: noEngine, mode: 'browser', version: '0' });
    try {
      expect(await backend.dispatch('nope:nothing', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
      const bad = await backend.dispatch('graph:neighbourhood', { id: -1, hops: 3 });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
      expect(!bad.ok && bad.error.message).toMatch(/id/);
      expect(!bad.ok && bad.error.message).toMatch(/hops/);
      expect(await backend.dispatch('app:info', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
      expect(await backend.dispatch('graph:entities', { side: 1 })).toMatchObject({ ok: false, error: { code: 'no-project' } });
      expect(await backend.dispatch('project:current', undefined)).toEqual({ ok: true, result: null });
      const info = await backend.dispatch('app:info', {});
      expect(info).toMatchObject({ ok: true, result: { mode: 'browser', home: tmp.path } });
      // jobs:start validates the job's own parameters
      expect(await backend.dispatch('jobs:start', { kind: 'import', params: { source: DEMO_DATASET } })).toMatchObject({
        ok: false,
        error: { code: 'invalid-args' },
      });
    } finally {
      await backend.dispose();
      tmp.cleanup();
    }
  });

  it('allows by hash exactly the stylesheet Cytoscape injects, and no inline script', () => {
    const hash = `sha256-${createHash('sha256').update(CYTOSCAPE_STYLESHEET).digest('base64')}`;
    expect(hash).toBe(CYTOSCAPE_STYLESHEET_HASH);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
  });
});
