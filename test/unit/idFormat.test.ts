import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdFormat } from '../../src/engine/data/idFormat';
import { InputReport } from '../../src/engine/data/report';
import { DEMO_DATASET, SHARED_DATA, tempDir, skipWithout } from '../helpers';

const uniqueLines = (path: string) => new Set(readFileSync(path, 'utf8').split('\n').filter(Boolean)).size;
const lineCount = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).length;

describe('id-format reader', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('reads the demo slice with the counts its files hold', async () => {
    const report = new InputReport();
    const pair = await readIdFormat(DEMO_DATASET, report);
    expect(report.hasErrors).toBe(false);
    const [a, b] = pair!.sides;
    expect(a.ids.length).toBe(lineCount(join(DEMO_DATASET, 'ent_ids_1')));
    expect(b.ids.length).toBe(lineCount(join(DEMO_DATASET, 'ent_ids_2')));
    expect(a.triples.length / 3).toBe(uniqueLines(join(DEMO_DATASET, 'triples_1')));
    expect(pair!.links.length / 2).toBe(300);
    expect(pair!.train.length / 2).toBe(60);
    expect(pair!.test.length / 2).toBe(240);
    // FB15K labels come from names_1, DB15K labels from the URI
    expect(a.names).toContain("Breakfast at Tiffany's");
    expect(b.names).toContain("Breakfast at Tiffany's (film)");
  });

  const real = join(SHARED_DATA, 'mmkb', 'FB15K_DB15K_partialFB');
  it.skipIf(skipWithout(real, existsSync(real)))('reads the real FB15K-DB15K pair with the counts of its SOURCE.md', async () => {
    const report = new InputReport();
    const pair = await readIdFormat(real, report);
    expect(report.hasErrors).toBe(false);
    // the benchmark links four DB15K entities to two FB15K entities each: kept, with a warning
    expect(report.issues.filter((i) => /linked to both/.test(i.message)).map((i) => i.line)).toEqual([3372, 8505, 10975, 12776]);
    const [fb, db] = pair!.sides;
    expect(fb.ids.length).toBe(14951);
    expect(db.ids.length).toBe(12842);
    expect(fb.triples.length / 3).toBe(381186);
    expect(db.triples.length / 3).toBe(89197); // 99,028 lines, duplicates dropped
    expect(report.issues.some((i) => i.file === 'triples_2' && /duplicate/.test(i.message))).toBe(true);
    expect(pair!.links.length / 2).toBe(12846);
    expect(pair!.train.length / 2).toBe(2569);
    expect(pair!.test.length / 2).toBe(10277);
    expect(fb.attrValue.filter((v) => v !== null).length).toBe(29394);
    expect(db.attrValue.filter((v) => v !== null).length).toBe(48044);
  });

  it('names the file and line of every problem in a corrupted copy', async () => {
    const dir = join(tmp.path, 'corrupt');
    cpSync(DEMO_DATASET, dir, { recursive: true });
    const edit = (file: string, f: (lines: string[]) => void) => {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n');
      f(lines);
      writeFileSync(join(dir, file), lines.join('\n'));
    };
    edit('triples_1', (l) => {
      l[4] = 'not a triple';
      l[9] = '0\t1'; // two fields
      l[14] = '999999\t0\t1'; // unknown entity
    });
    edit('ill_ent_ids', (l) => {
      l[2] = `${l[1]!.split('\t')[0]}\t${l[5]!.split('\t')[1]}`; // left entity of line 2 linked again
    });
    let dropped = '';
    edit('ent_ids_2', (l) => {
      dropped = l[7]!.split('\t')[0]!;
      l[7] = l[6]!; // duplicate id: the entity of line 8 is gone
    });
    const linkLines = readFileSync(join(dir, 'ill_ent_ids'), 'utf8').split('\n');
    const droppedLinkLine = linkLines.findIndex((l) => l.split('\t')[1] === dropped) + 1;
    const sharedRightLine = 6; // line 3 now links to line 6's right entity too
    const report = new InputReport();
    await readIdFormat(dir, report);
    expect(report.hasErrors).toBe(true);
    const at = (file: string) => report.issues.filter((i) => i.file === file && i.severity === 'error').map((i) => i.line);
    expect(at('triples_1')).toEqual([5, 10, 15]);
    expect(at('ent_ids_2')).toEqual([8]);
    expect(report.issues.filter((i) => i.file === 'ill_ent_ids').map((i) => [i.line, i.severity])).toEqual([
      [droppedLinkLine, 'error'], // unknown entity
      [3, 'warning'], // left entity linked twice
      [sharedRightLine, 'warning'], // right entity linked twice
    ]);
    expect(report.format()).toMatch(/^triples_1:5: error: expected three integer ids/m);
  });

  it('refuses ids too large to store instead of wrapping them, naming file, line and id', async () => {
    const dir = join(tmp.path, 'big-ids');
    cpSync(DEMO_DATASET, dir, { recursive: true });
    const append = (file: string, line: string) => writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace(/\n?$/, '\n') + line + '\n');
    append('ent_ids_1', '3000000000\t/m/too_big'); // 3e9 wraps to -1294967296 in an Int32Array
    append('triples_1', '0\t0\t2147483648');
    const report = new InputReport();
    const pair = await readIdFormat(dir, report);
    const errors = report.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.file, i.message])).toEqual([
      ['ent_ids_1', expect.stringContaining('id 3000000000 is beyond the largest id stored, 2147483647')],
      ['triples_1', expect.stringContaining('id 2147483648 is beyond the largest id stored')],
    ]);
    expect(errors.every((e) => e.line !== null && e.line > 300)).toBe(true);
    expect(pair?.sides[0]!.ids.some((id) => id < 0)).toBe(false); // nothing wrapped in
  });

  it('reports a URI with stray whitespace and a URI given two ids, naming file and line', async () => {
    const dir = join(tmp.path, 'uris');
    cpSync(DEMO_DATASET, dir, { recursive: true });
    const lines = readFileSync(join(dir, 'ent_ids_2'), 'utf8').trimEnd().split('\n');
    const uri2 = lines[1]!.split('\t')[1]!;
    lines.push(`9990\t${uri2}`, `9991\t<http://dbpedia.org/resource/Stray> `);
    writeFileSync(join(dir, 'ent_ids_2'), lines.join('\n') + '\n');
    const report = new InputReport();
    await readIdFormat(dir, report);
    const warnings = report.issues.filter((i) => i.file === 'ent_ids_2' && i.severity === 'warning');
    expect(warnings.map((w) => [w.line, w.message])).toEqual([
      [lines.length - 1, `URI ${uri2} is also the entity of line 2: two ids for one entity`],
      [lines.length, 'field 2 "<http://dbpedia.org/resource/Stray> " has leading or trailing whitespace: kept as written, so it names something other than "<http://dbpedia.org/resource/Stray>"'],
    ]);
  });

  it('survives binary and truncated input without throwing', async () => {
    const dir = join(tmp.path, 'binary');
    cpSync(DEMO_DATASET, dir, { recursive: true });
    writeFileSync(join(dir, 'triples_2'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
    writeFileSync(join(dir, 'ent_ids_1'), readFileSync(join(dir, 'ent_ids_1'), 'utf8').slice(0, 1000));
    const report = new InputReport();
    await readIdFormat(dir, report);
    expect(report.hasErrors).toBe(true);
    expect(report.issues.filter((i) => i.file === 'triples_2').length).toBeGreaterThan(0);
    expect(report.issues.length).toBeLessThanOrEqual(100 * 10); // capped per file
  });
});
