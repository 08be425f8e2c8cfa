// Browser mode entry (plain Node, no Electron): starts the backend and the loopback bridge and
// prints the URL to open. `node out/main/serve.js [--port N] [--project DIR] [--json]`
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Backend } from './backend';
import { nodeEngineSpawner } from './backend/engineHost';
import { startBridge } from './bridge/server';
import { appRoot, defaultHome } from './paths';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      project: { type: 'string' },
      home: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const root = appRoot(__dirname);
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const backend = new Backend({
    home: values.home ?? defaultHome(),
    resources: join(root, 'resources'),
    spawnEngine: nodeEngineSpawner(join(__dirname, 'engine.js')),
    mode: 'browser',
    version,
  });
  if (values.project) await backend.open(values.project);
  const bridge = await startBridge({ backend, staticDir: join(root, 'out', 'renderer'), port: Number(values.port) });
  if (values.json) console.log(JSON.stringify({ url: bridge.url, port: bridge.port }));
  else console.log(`MMEA Studio is running in browser mode. Open:\n\n  ${bridge.url}\n\n(Ctrl+C stops it.)`);
  const stop = async () => {
    await bridge.close();
    await backend.dispose();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
