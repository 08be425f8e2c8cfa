import { mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'npyjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/engine/data/formats';
import type { KgPair } from '../../src/engine/data/kg';
import { Project, PROJECT_FORMAT, readProjectPair, writeProject } from '../../src/engine/data/project';
import { THUMBNAIL_DIR, Thumbnails } from '../../src/engine/data/thumbnails';
import { InputReport } from '../../src/engine/data/report';
import { buildFeatures, DEFAULT_SETTINGS } from '../../src/engine/features/build';
import { importJob } from '../../src/engine/jobs/import';
import { Backend } from '../../src/main/backend';
import { ROOT, tempDir } from '../helpers';

// KG1: a - b - c (a path), d alone; KG2: x - y
const BASE = {
  'kg1/triples.tsv': 'a\tr\tb\nb\tr\tc\nd\tr\td\n',
  'kg2/triples.tsv': 'x\tr\ty\n',
  'links.tsv': 'a\tx\nb\ty\n',
};

/** A dataset folder holding BASE's graphs and an empty pics/ (the images each test adds). */
function baseDataset(dir: string): string {
  mkdirSync(join(dir, 'kg1'), { recursive: true });
  mkdirSync(join(dir, 'kg2'), { recursive: true });
  mkdirSync(join(dir, 'pics'), { recursive: true });
  for (const [f, t] of Object.entries(BASE)) writeFileSync(join(dir, f), t);
  return dir;
}
/** A 4×4 PNG of one colour. */
const png = (path: string, background: string) =>
  sharp({ create: { width: 4, height: 4, channels: 3, background } })
    .png()
    .toFile(path);

describe('images', () => {
  const tmp = tempDir();
  let dir: string;
  let pair: KgPair;
  let report: InputReport;
  beforeAll(async () => {
    dir = join(tmp.path, 'ds');
    mkdirSync(join(dir, 'kg1'), { recursive: true });
    mkdirSync(join(dir, 'kg2'), { recursive: true });
    mkdirSync(join(dir, 'pics'));
    for (const [f, t] of Object.entries(BASE)) writeFileSync(join(dir, f), t);
    // rows: 0 -> a, 1 -> c, 2 -> x ; a line with a bad row and one with an unknown entity
    const vectors = Float32Array.from([3, 4, 0, 0, /**/ 0, 0, 6, 8, /**/ 1, 0, 0, 0]);
    writeFileSync(join(dir, 'image_vectors.npy'), Buffer.from(dump(vectors, [3, 4])));
    writeFileSync(join(dir, 'image_index.tsv'), '1\ta\t0\n1\tc\t1\n2\tx\t2\n1\tb\t7\n1\tnobody\t0\n1\ta\t2\n');
    await sharp({ create: { width: 8, height: 6, channels: 3, background: '#c33' } })
      .png()
      .toFile(join(dir, 'pics', 'b.png'));
    writeFileSync(join(dir, 'pics', 'broken.jpg'), 'not a jpeg');
    writeFileSync(join(dir, 'image_files.tsv'), '1\tb\tpics/b.png\n2\ty\tpics/broken.jpg\n');
    report = new InputReport();
    pair = await readDataset(dir, report);
  });
  afterAll(tmp.cleanup);

  it('reads vectors through the index and checks image files with sharp, reporting every problem', () => {
    expect(pair.images!.dims).toBe(4);
    expect([...pair.images!.entity]).toEqual([0, 2, 4]); // a, c, x (global ids)
    expect([...pair.images!.vectors.subarray(4, 8)]).toEqual([0, 0, 6, 8]);
    expect(pair.images!.files.map((f) => f.entity)).toEqual([1]); // b's readable PNG
    const at = (sev: string) => report.issues.filter((i) => i.severity === sev).map((i) => [i.file, i.line]);
    expect(at('error')).toEqual([['image_index.tsv', 4]]); // row 7 of 3
    expect(at('warning')).toEqual([
      ['image_index.tsv', 5], // unknown entity
      ['image_index.tsv', 6], // a second vector for a
      ['image_files.tsv', 2], // unreadable image
    ]);
    expect(pair.sides.map((s) => s.images)).toEqual([3, 1]);
  });

  it('refuses a raw float32 file whose size is not a whole number of rows', async () => {
    const d2 = join(tmp.path, 'f32');
    mkdirSync(join(d2, 'kg1'), { recursive: true });
    mkdirSync(join(d2, 'kg2'), { recursive: true });
    for (const [f, t] of Object.entries(BASE)) writeFileSync(join(d2, f), t);
    writeFileSync(join(d2, 'image_vectors.f32'), Buffer.from(new Float32Array(10).buffer));
    writeFileSync(join(d2, 'image_vectors.json'), '{"dims": 4}');
    writeFileSync(join(d2, 'image_index.tsv'), '1\ta\t0\n');
    const r = new InputReport();
    await readDataset(d2, r);
    expect(r.format()).toMatch(/image_vectors\.f32: error: 40 bytes is not a whole number of 4-wide float32 rows/);
  });

  it('refuses vectors with NaN or infinite values, and an .npy whose header and data disagree', async () => {
    const folder = (name: string) => {
      const d = baseDataset(join(tmp.path, name));
      writeFileSync(join(d, 'image_index.tsv'), '1\ta\t0\n');
      return d;
    };
    const nan = folder('nan');
    writeFileSync(join(nan, 'image_vectors.npy'), Buffer.from(dump(Float32Array.from([1, 2, 3, 4, 5, NaN, 7, Infinity]), [2, 4])));
    const r1 = new InputReport();
    await readDataset(nan, r1);
    expect(r1.format()).toMatch(/image_vectors\.npy: error: 2 value\(s\) are NaN or infinite \(the first at row 1, column 1\)/);
    const f32 = folder('inf-f32');
    writeFileSync(join(f32, 'image_vectors.f32'), Buffer.from(Float32Array.from([1, -Infinity, 0, 0]).buffer));
    writeFileSync(join(f32, 'image_vectors.json'), '{"dims": 2}');
    const r2 = new InputReport();
    await readDataset(f32, r2);
    expect(r2.format()).toMatch(/image_vectors\.f32: error: 1 value\(s\) are NaN or infinite \(the first at row 0, column 1\)/);
    // a header that promises more rows than the file holds
    const cut = folder('cut-npy');
    const whole = Buffer.from(dump(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]));
    writeFileSync(join(cut, 'image_vectors.npy'), whole.subarray(0, whole.length - 8));
    const r3 = new InputReport();
    await readDataset(cut, r3);
    expect(r3.format()).toMatch(/image_vectors\.npy: error: /);
  });

  it('normalises real vectors and fills missing ones by a seeded normal draw or the neighbours', () => {
    const f = buildFeatures(pair, DEFAULT_SETTINGS);
    const row = (m: Float32Array, r: number) => [...m.subarray(r * 4, r * 4 + 4)];
    expect([...f.coverage.images]).toEqual([1, 0, 1, 0, 1, 0]);
    expect(row(f.image.matrix, 0)).toEqual([0.6, 0.8, 0, 0].map(Math.fround));
    for (let r = 0; r < 6; r++) expect(Math.hypot(...row(f.image.matrix, r))).toBeCloseTo(1, 5);
    expect(row(buildFeatures(pair, DEFAULT_SETTINGS).image.matrix, 1)).toEqual(row(f.image.matrix, 1)); // seeded
    const nb = buildFeatures(pair, { ...DEFAULT_SETTINGS, imageFill: 'neighbours' });
    // b's neighbours a and c have images: mean (1.5, 2, 3, 4) normalised
    const norm = Math.hypot(1.5, 2, 3, 4);
    row(nb.image.matrix, 1).forEach((v, j) => expect(v).toBeCloseTo([1.5, 2, 3, 4][j]! / norm, 5));
    // y's only neighbour x has an image; d has no neighbour with one: the shared draw
    row(nb.image.matrix, 5).forEach((v, j) => expect(v).toBeCloseTo([1, 0, 0, 0][j]!, 5));
    expect(nb.coverage.images).toEqual(f.coverage.images);
  });

  it('keeps images through a project round trip', async () => {
    const project = join(tmp.path, 'project');
    await writeProject(project, pair, { format: PROJECT_FORMAT, version: 1, name: 'i', createdAt: '', source: { path: dir, format: 'tsv' } });
    const back = await readProjectPair(project);
    expect(back.images!.dims).toBe(4);
    expect([...back.images!.vectors]).toEqual([...pair.images!.vectors]);
    expect(back.images!.files).toEqual(pair.images!.files);
  });

  it('gives the project’s entities their image files and a detail that says how many', async () => {
    const project = join(tmp.path, 'project');
    const p = await Project.open(project);
    expect(p.imagesOf(1)).toEqual([join(dir, 'pics', 'b.png')]);
    expect(p.imagesOf(0)).toEqual([]);
    expect(p.entity(1).images).toBe(1);
    expect(p.entity(5).images).toBe(0); // y's file was unreadable, so it is not kept
    // the relation list can be capped (a hub has thousands); the count stays whole
    expect(p.entity(1).relations).toHaveLength(2);
    expect(p.entity(1, 0)).toMatchObject({ relations: [], relationCount: 2 });
    expect(() => p.imagesOf(99)).toThrow(/no entity with id 99/);
  });
});

describe('thumbnails', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const img = (name: string) => join(tmp.path, name);

  it('fits an image in the asked size, never enlarges, and serves the second ask from the disk cache', async () => {
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#36c' } })
      .png()
      .toFile(img('wide.png'));
    await sharp({ create: { width: 8, height: 6, channels: 3, background: '#c33' } })
      .png()
      .toFile(img('tiny.png'));
    const t = new Thumbnails(join(tmp.path, 'project'));
    const a = await t.get(img('wide.png'), 160);
    expect(a).toMatchObject({ width: 160, height: 120, original: { width: 400, height: 300 }, cached: false });
    expect(a.dataUrl).toMatch(/^data:image\/webp;base64,/);
    const decoded = await sharp(Buffer.from(a.dataUrl.split(',')[1]!, 'base64')).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(['webp', 160, 120]);
    // a new Thumbnails (the app restarted) finds it on disk
    const again = await new Thumbnails(join(tmp.path, 'project')).get(img('wide.png'), 160);
    expect(again).toEqual({ ...a, cached: true });
    expect(await t.get(img('tiny.png'), 160)).toMatchObject({ width: 8, height: 6 });
    expect(readdirSync(join(tmp.path, 'project', THUMBNAIL_DIR)).filter((f) => f.endsWith('.webp'))).toHaveLength(2);
  });

  it('makes a new thumbnail when the image changes, and turns a camera’s EXIF orientation upright', async () => {
    const t = new Thumbnails(join(tmp.path, 'project2'));
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3c6' } })
      .png()
      .toFile(img('changing.png'));
    expect(await t.get(img('changing.png'), 100)).toMatchObject({ width: 100, height: 75 });
    // orientation 6: stored 400 × 300, shown rotated 90° (300 × 400)
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3c6' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(img('changing.png'));
    utimesSync(img('changing.png'), new Date(), new Date(Date.now() + 5000));
    expect(await t.get(img('changing.png'), 100)).toMatchObject({ width: 75, height: 100, original: { width: 300, height: 400 }, cached: false });
  });

  it('names the file when it is missing or not an image', async () => {
    writeFileSync(img('broken.png'), 'not a png');
    const t = new Thumbnails(join(tmp.path, 'project3'));
    await expect(t.get(img('broken.png'), 64)).rejects.toMatchObject({ code: 'bad-input', message: expect.stringContaining('broken.png') });
    await expect(t.get(img('absent.png'), 64)).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('absent.png') });
  });
});

describe('image files outside the dataset folder', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('are refused at import (a relative escape, an absolute path, a link pointing out), naming file and line', async () => {
    const dir = baseDataset(join(tmp.path, 'ds'));
    const outside = join(tmp.path, 'secret.png');
    await png(outside, '#000');
    await png(join(dir, 'pics', 'ok.png'), '#fff');
    symlinkSync(outside, join(dir, 'pics', 'link.png'));
    writeFileSync(join(dir, 'image_files.tsv'), `1\ta\tpics/ok.png\n1\tb\t../secret.png\n1\tc\t${outside}\n2\tx\tpics/link.png\n`);
    const report = new InputReport();
    const pair = await readDataset(dir, report);
    const errors = report.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.file, i.line])).toEqual([
      ['image_files.tsv', 2],
      ['image_files.tsv', 3],
      ['image_files.tsv', 4],
    ]);
    for (const e of errors) expect(e.message).toMatch(/is outside the dataset folder/);
    expect(pair.images!.files.map((f) => f.path)).toEqual([join(dir, 'pics', 'ok.png')]);
  });

  it('are not served as thumbnails, even when a project names one', async () => {
    const dir = baseDataset(join(tmp.path, 'ds2'));
    await png(join(dir, 'pics', 'ok.png'), '#fff');
    writeFileSync(join(dir, 'image_files.tsv'), '1\ta\tpics/ok.png\n');
    const project = join(tmp.path, 'project');
    await importJob({ source: dir, project }, { jobId: 'images-outside', signal: new AbortController().signal, progress: () => {} });
    // a project edited by hand (or written before imports checked) naming a file elsewhere
    const kg = JSON.parse(readFileSync(join(project, 'kg.json'), 'utf8')) as { images: { files: { entity: number; path: string }[] } };
    const outside = join(tmp.path, 'secret.png');
    await png(outside, '#000');
    kg.images.files.push({ entity: kg.images.files[0]!.entity, path: outside });
    writeFileSync(join(project, 'kg.json'), JSON.stringify(kg));
    const backend = new Backend({
      home: join(tmp.path, 'home'),
      resources: join(ROOT, 'resources'),
      spawnEngine: () => {
        throw new Error('no engine');
      },
      mode: 'browser',
      version: '0',
    });
    try {
      await backend.open(project);
      const id = kg.images.files[0]!.entity;
      expect(await backend.dispatch('images:thumbnail', { id, index: 0, size: 32 })).toMatchObject({ ok: true });
      expect(await backend.dispatch('images:thumbnail', { id, index: 1, size: 32 })).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: expect.stringMatching(/outside the project's dataset folder/) },
      });
    } finally {
      await backend.dispose();
    }
  });
});
