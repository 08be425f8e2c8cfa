// `mmea encode-images <dataset-dir>`: image vectors from the dataset's image_files.tsv with an offline
// tfjs image model (data/encoder.ts), written in our plain vector format (image_vectors.f32 + .json
// and image_index.tsv, docs/formats.md) so that `mmea import` takes them as precomputed vectors.
// Unreadable images are warnings naming the line; the three files are written under temporary names
// and renamed at the end, so an interrupted run leaves no half set.
import { existsSync, mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesOf } from '../engine/data/binary';
import { decodeImage, loadEncoder, type EncoderSpec } from '../engine/data/encoder';
import { eachLine } from '../engine/data/lines';
import { InputReport } from '../engine/data/report';
import { initBackend, tf, type BackendName } from '../engine/runtime/tf';
import { MmeaError } from '../shared/errors';
import { UsageError } from './train';

export async function encodeImagesCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      encoder: { type: 'string', default: 'mobilenet' },
      layer: { type: 'string' },
      size: { type: 'string', default: '224' },
      range: { type: 'string', default: '0-1' },
      batch: { type: 'string', default: '16' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new UsageError('encode-images: a dataset folder is required');
  const size = Number(v.size);
  const batch = Number(v.batch);
  if (!Number.isInteger(size) || size < 8 || size > 2048) throw new UsageError(`--size: not a valid size: ${v.size}`);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch: not a valid batch size: ${v.batch}`);
  if (!['0-1', '-1-1', '0-255'].includes(v.range)) throw new UsageError('--range must be 0-1, -1-1 or 0-255');
  const source = resolve(dir);
  const out = resolve(v.out ?? dir);
  const listFile = join(source, 'image_files.tsv');
  if (!existsSync(listFile)) throw new MmeaError('bad-input', `${listFile}: missing (graph<TAB>entity<TAB>path lines, docs/formats.md)`);
  const t0 = performance.now();
  const backend: BackendName = await initBackend(v.backend as BackendName | 'auto');
  const report = new InputReport();
  const todo: { line: number; graph: string; entity: string; path: string }[] = [];
  await eachLine(listFile, 'image_files.tsv', report, ({ number, fields }) => {
    if (fields.length < 3 || !['1', '2'].includes(fields[0]!) || !fields[1] || !fields[2]) {
      report.error('image_files.tsv', number, 'expected "graph(1|2)<TAB>entity<TAB>path"');
      return;
    }
    todo.push({ line: number, graph: fields[0]!, entity: fields[1]!, path: resolve(source, fields[2]!) });
  });
  const spec: EncoderSpec = { model: v.encoder === 'mobilenet' ? 'mobilenet' : resolve(v.encoder), layer: v.layer, size, range: v.range as EncoderSpec['range'] };
  const encoder = await loadEncoder(spec);
  const vectors: Float32Array[] = [];
  const index: string[] = [];
  let dims = 0;
  try {
    for (let s = 0; s < todo.length; s += batch) {
      const part = todo.slice(s, s + batch);
      const decoded = await Promise.all(
        part.map((t) =>
          decodeImage(t.path, size, spec.range).catch((e: unknown) => {
            report.warning('image_files.tsv', t.line, `cannot read image ${t.path}: ${(e as Error).message}`);
            return null;
          }),
        ),
      );
      const ok = part.filter((_, i) => decoded[i]);
      if (ok.length === 0) continue;
      const pixels = new Float32Array(ok.length * size * size * 3);
      decoded.filter((d) => d).forEach((d, i) => pixels.set(d!, i * size * size * 3));
      const x = tf.tensor4d(pixels, [ok.length, size, size, 3]);
      const y = encoder.encode(x);
      dims = y.shape[1];
      vectors.push((await y.data()) as Float32Array); // async: a device backend may have no sync read
      tf.dispose([x, y]);
      for (const t of ok) index.push(`${t.graph}\t${t.entity}\t${index.length}`);
      const done = Math.min(s + batch, todo.length);
      process.stderr.write(v.json ? JSON.stringify({ progress: done / todo.length, images: done }) + '\n' : `\r${done}/${todo.length} images`);
    }
  } finally {
    encoder.dispose();
  }
  if (!v.json && todo.length > 0) process.stderr.write('\n');
  mkdirSync(out, { recursive: true });
  const all = new Float32Array(vectors.reduce((n, a) => n + a.length, 0));
  vectors.reduce((at, a) => (all.set(a, at), at + a.length), 0);
  const tmp = `.partial-${process.pid}`;
  const files: [string, string | Buffer][] = [
    ['image_vectors.f32', bytesOf(all)],
    ['image_vectors.json', JSON.stringify({ dims, encoder: encoder.name })],
    ['image_index.tsv', index.join('\n') + (index.length ? '\n' : '')],
  ];
  await Promise.all(files.map(([f, data]) => writeFile(join(out, f + tmp), data)));
  for (const [f] of files) await rename(join(out, f + tmp), join(out, f));
  const seconds = (performance.now() - t0) / 1000;
  const result = { out, encoder: encoder.name, backend, images: todo.length, encoded: index.length, dims, seconds, problems: report.issues, suppressed: Object.fromEntries(report.suppressed) };
  if (v.json) console.log(JSON.stringify(result));
  else {
    for (const p of report.issues) console.log(`image_files.tsv${p.line === null ? '' : `:${p.line}`}: ${p.severity}: ${p.message}`);
    console.log(`${index.length} of ${todo.length} images encoded (${dims}-d, ${encoder.name}, ${backend}) in ${seconds.toFixed(1)} s; written to ${out}`);
  }
  return report.hasErrors ? 1 : 0;
}
