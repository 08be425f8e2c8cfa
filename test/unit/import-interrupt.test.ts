// Ctrl-C cancels `mmea import` at any stage (issue 16): SIGINT sent when the import reports each of
// its stages — reading the files, writing the project, building the features — ends it with a plain
// message, no project folder and no scratch folder left behind. On FB15K–DB15K (about 2 s an import),
// read in place from ../shared/data.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SHARED_DATA, skipWithout, tempDir } from '../helpers';

const FB_DB = join(SHARED_DATA, 'mmkb', 'FB15K_DB15K_partialFB');
const CLI = join(ROOT, 'out', 'main', 'cli.js');

describe.skipIf(skipWithout(FB_DB, existsSync(FB_DB)))('mmea import, interrupted (needs ../shared/data)', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it.each(['reading', 'writing project', 'features: structure', 'features: names'])(
    'SIGINT at "%s" cancels it and leaves nothing',
    async (stage) => {
      const project = join(tmp.path, stage.replace(/\W+/g, '-'));
      const child = spawn(process.execPath, [CLI, 'import', FB_DB, '--project', project, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let sent = false;
      createInterface({ input: child.stderr }).on('line', (line) => {
        err += line + '\n';
        if (!sent && line.includes(`"stage":"${stage}`)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(sent, `the import reported "${stage}"`).toBe(true);
      expect(code).toBe(1);
      expect(err).toMatch(/mmea: interrupted/);
      expect(existsSync(project)).toBe(false);
      expect(readdirSync(tmp.path).filter((n) => n.includes('.partial-'))).toEqual([]);
    },
    60_000,
  );
});
