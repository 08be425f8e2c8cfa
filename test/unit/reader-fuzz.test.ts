// Every reader against every class of bad input (issue 16): each file of a small dataset in each
// format — graphs, links, attributes, names, the DH-MEA attr file, translated-name JSON, word
// vectors, image index and vectors — replaced in turn by a damaged version. The read must end (no
// hang), must not crash (a thrown error is an MmeaError naming the file), every issue it reports
// names a file of the dataset, and where the damage is something a reader must notice (binary,
// an over-long line, another encoding, ids too large to store, a special file) an issue or the
// error names the damaged file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset, type ReadOptions } from '../../src/engine/data/formats';
import { InputReport } from '../../src/engine/data/report';
import { MmeaError } from '../../src/shared/errors';
import { MMKB, OPENEA, OPENKE, TSV } from '../fixtures/datasets';
import { DEMO_DATASET, tempDir } from '../helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

type Files = Record<string, string | Buffer>;
const demo: Files = Object.fromEntries(readdirSync(DEMO_DATASET).map((f) => [f, readFileSync(join(DEMO_DATASET, f))]));
const entity1 = String(demo.ent_ids_1).split('\n')[0]!.split('\t')[1]!;
/** the demo in the id format, plus every optional reader's file */
const ids: Files = {
  ...demo,
  attr: 'height|||1.5^^^width|||2|||double\n\nheight|||3\n',
  'names.json': JSON.stringify([
    [0, ['Paris']],
    [1, ['la', 'ville']],
  ]),
  'vectors.txt': '2 3\nparis 0.1 0.2 0.3\nla 1 0 0\n',
  'image_vectors.f32': Buffer.from(new Float32Array([1, 0, 0, 1]).buffer),
  'image_vectors.json': '{"dims": 2}',
  'image_index.tsv': `1\t${entity1}\t0\n1\t0\t1\n`,
  'image_files.tsv': `1\t${entity1}\tmissing.png\n`,
};
const SOURCES: Record<string, { files: Files; options: (dir: string) => ReadOptions }> = {
  ids: { files: ids, options: (dir) => ({ format: 'ids', names: join(dir, 'names.json'), wordVectors: join(dir, 'vectors.txt') }) },
  // fold 1 only: the reader reads one fold, the first unless told
  openea: { files: Object.fromEntries(Object.entries(OPENEA).filter(([f]) => !f.startsWith('721_5fold/2/'))), options: () => ({ format: 'openea' }) },
  tsv: { files: TSV, options: () => ({ format: 'tsv' }) },
  mmkb: { files: MMKB, options: () => ({ format: 'mmkb' }) },
  openke: { files: OPENKE, options: () => ({ format: 'openke' }) },
};

const binary = Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => (i * 7919 + 13) % 256));
/** Files whose integers are ids: in them "ids too large" must be noticed. */
const idFiles = new Set([
  'ent_ids_1',
  'ent_ids_2',
  'triples_1',
  'triples_2',
  'ill_ent_ids',
  'sup_ent_ids',
  'dev_ent_ids',
  'rel_ids_1',
  'rel_ids_2',
  'names_1',
  'names.json',
  'image_index.tsv',
  'entity2id.txt',
  'relation2id.txt',
  'train2id.txt',
]);
const extremes = ['3000000000', '99999999999999999999', '2147483648'];

interface Damage {
  kind: string;
  /** writes the damaged file at `path` from the original bytes */
  make: (path: string, original: Buffer) => void;
  /** whether a reader must name the file for this damage */
  noticed: (file: string) => boolean;
}
const DAMAGES: Damage[] = [
  { kind: 'truncated', make: (p, b) => writeFileSync(p, b.subarray(0, Math.floor(b.length / 2))), noticed: () => false },
  { kind: 'empty', make: (p) => writeFileSync(p, ''), noticed: () => false },
  // binary vectors are binary by nature: any bytes of the right length are a valid .f32
  { kind: 'binary', make: (p) => writeFileSync(p, binary), noticed: (f) => f !== 'image_vectors.f32' },
  { kind: 'huge line', make: (p) => writeFileSync(p, 'x'.repeat(4 << 20)), noticed: (f) => f !== 'image_vectors.f32' },
  {
    kind: 'mixed encoding',
    make: (p, b) => writeFileSync(p, Buffer.concat([Buffer.from('caf\xe9\tna\xefve\tx\n', 'latin1'), b])),
    noticed: (f) => f !== 'image_vectors.f32',
  },
  {
    kind: 'extreme ids',
    make: (p, b) => {
      let k = 0;
      writeFileSync(
        p,
        b.toString('utf8').replace(/(?<![\w.:/-])\d+(?![\w.])/g, () => extremes[k++ % extremes.length]!),
      );
    },
    noticed: (f) => idFiles.has(f),
  },
  { kind: 'FIFO', make: (p) => execFileSync('mkfifo', [p]), noticed: () => true },
  { kind: 'folder', make: (p) => mkdirSync(p), noticed: () => true },
];

let n = 0;
function write(files: Files): string {
  const dir = join(tmp.path, `ds${n++}`);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

/** the dataset's files, relative to it, and their base names (the JSON and vectors are named by base name) */
function namesIn(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const rel = relative(dir, p);
      out.add(rel).add(basename(rel));
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe('every reader against every class of bad input', () => {
  for (const [format, { files, options }] of Object.entries(SOURCES)) {
    it(`${format}: ends, never crashes, and names the file it could not read`, async () => {
      const checked: string[] = [];
      for (const damage of DAMAGES) {
        for (const file of Object.keys(files)) {
          const dir = write(Object.fromEntries(Object.entries(files).filter(([f]) => f !== file)));
          mkdirSync(dirname(join(dir, file)), { recursive: true });
          damage.make(join(dir, file), Buffer.from(files[file]!));
          const what = `${format} ${file} ${damage.kind}`;
          const report = new InputReport();
          let error: unknown = null;
          await readDataset(dir, report, options(dir)).catch((e: unknown) => (error = e));
          if (error !== null) {
            expect(error, `${what}: ${String(error)}`).toBeInstanceOf(MmeaError);
            expect((error as Error).message, what).toContain(file);
            continue;
          }
          const known = namesIn(dir);
          for (const issue of report.issues) expect(known.has(issue.file), `${what}: an issue names ${issue.file}`).toBe(true);
          if (damage.noticed(file)) {
            expect(
              report.issues.some((i) => i.file === file || i.file === basename(file)),
              `${what}: no issue names it\n${report.format()}`,
            ).toBe(true);
          }
          checked.push(what);
        }
      }
      expect(checked.length).toBeGreaterThan(Object.keys(files).length * 3);
    }, 120_000);
  }
});
