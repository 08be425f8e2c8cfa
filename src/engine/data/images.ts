// Images of entities, in any dataset format (docs/formats.md, "Images"):
//   image_vectors.npy                   precomputed vectors, one per row (float16/32/64; NumPy, via npyjs)
//   image_vectors.f32 + image_vectors.json {"dims": d}   our plain format: raw little-endian float32
//   image_index.tsv                     graph(1|2)<TAB>entity<TAB>row     which vector is whose
//   image_files.tsv                     graph(1|2)<TAB>entity<TAB>path    image files (any format sharp
//                                       reads), relative to the dataset folder
// An entity is named as in the dataset (URI or key; for the id format also its integer id).
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import sharp from 'sharp';
import { readBytes } from './binary';
import type { KgImages, KgPair } from './kg';
import { eachLine, parseId, readSmallText } from './lines';
import type { InputReport } from './report';

export function hasImages(dir: string): boolean {
  return ['image_vectors.npy', 'image_vectors.f32', 'image_files.tsv'].some((f) => existsSync(join(dir, f)));
}

/** Why vectors cannot be used because of NaN or infinite values (how many, the first one's row and
 *  column), or null. */
function nonFinite(data: Float32Array, dims: number): string | null {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]!)) {
      count++;
      if (first < 0) first = i;
    }
  return count === 0 ? null : `${count} value(s) are NaN or infinite (the first at row ${Math.floor(first / dims)}, column ${first % dims})`;
}

async function readVectors(dir: string, report: InputReport): Promise<{ data: Float32Array; rows: number; dims: number } | null> {
  if (existsSync(join(dir, 'image_vectors.npy'))) {
    const bytes = await readBytes(join(dir, 'image_vectors.npy'));
    try {
      const npy = parseNpy(bytes);
      if (npy.shape.length !== 2) throw new Error(`expected a 2-d array (rows × dims), got shape [${npy.shape.join(', ')}]`);
      if (!['f2', 'f4', 'f8'].includes(npy.dtype)) throw new Error(`expected floats, got dtype ${npy.dtype}`);
      if (npy.fortranOrder) throw new Error('Fortran-ordered arrays are not supported; save with np.ascontiguousarray');
      const [rows, dims] = npy.shape as [number, number];
      // the header's shape against what the file holds (a truncated or hand-made file)
      const held = (npy.data as unknown as ArrayLike<number>).length;
      if (held !== rows * dims) throw new Error(`the header says ${rows} × ${dims} values, the file holds ${held}`);
      const data = npy.data instanceof Float32Array ? npy.data : Float32Array.from(npy.data as Float64Array);
      const bad = nonFinite(data, dims);
      if (bad) throw new Error(bad);
      return { data, rows, dims };
    } catch (e) {
      report.error('image_vectors.npy', null, (e as Error).message);
      return null;
    }
  }
  if (existsSync(join(dir, 'image_vectors.f32'))) {
    let dims = 0;
    try {
      dims = Number((JSON.parse(await readSmallText(join(dir, 'image_vectors.json'))) as { dims?: unknown }).dims);
    } catch (e) {
      report.error('image_vectors.json', null, `needed beside image_vectors.f32, as {"dims": d}: ${(e as Error).message}`);
      return null;
    }
    const bytes = await readBytes(join(dir, 'image_vectors.f32'));
    if (!Number.isInteger(dims) || dims <= 0 || bytes.byteLength % (4 * dims) !== 0) {
      report.error('image_vectors.f32', null, `${bytes.byteLength} bytes is not a whole number of ${dims}-wide float32 rows`);
      return null;
    }
    const data = new Float32Array(bytes);
    const bad = nonFinite(data, dims);
    if (bad) {
      report.error('image_vectors.f32', null, bad);
      return null;
    }
    return { data, rows: data.length / dims, dims };
  }
  return null;
}

/** Whether `path` lies inside the folder `root`, both with their links already resolved (a path
 *  check only: the callers resolve, the import synchronously, main asynchronously). */
export function isInside(root: string, path: string): boolean {
  const r = relative(root, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

/** A path with its links resolved; a missing file by its own path (reading it fails and is reported). */
function resolvedSync(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Reads the image vectors and files of a dataset folder into `pair.images`. */
export async function readImages(dir: string, pair: KgPair, report: InputReport): Promise<void> {
  const lookup = pair.sides.map((s) => {
    const m = new Map<string, number>();
    s.uris.forEach((u, i) => {
      m.set(u, s.ids[i]!);
      const bare = u.startsWith('<') && u.endsWith('>') ? u.slice(1, -1) : `<${u}>`;
      if (!m.has(bare)) m.set(bare, s.ids[i]!);
    });
    s.ids.forEach((id) => m.set(String(id), id));
    return m;
  });
  const entityOf = (file: string, line: number, g: string | undefined, e: string | undefined): number | null => {
    const side = g === '1' ? 0 : g === '2' ? 1 : -1;
    if (side < 0 || !e) {
      report.error(file, line, 'expected "graph(1 or 2)<TAB>entity<TAB>…"');
      return null;
    }
    const id = lookup[side]!.get(e);
    if (id === undefined) report.warning(file, line, `${e} is not an entity of KG${side + 1}`);
    return id ?? null;
  };
  const images: KgImages = { dims: 0, vectors: new Float32Array(0), entity: new Int32Array(0), files: [] };

  const vectors = await readVectors(dir, report);
  if (vectors) {
    if (!existsSync(join(dir, 'image_index.tsv'))) report.error('image_index.tsv', null, 'needed to say which vector belongs to which entity');
    else {
      const rows: number[] = [];
      const owners: number[] = [];
      const seen = new Set<number>();
      await eachLine(join(dir, 'image_index.tsv'), 'image_index.tsv', report, ({ number, fields }) => {
        const id = entityOf('image_index.tsv', number, fields[0], fields[1]);
        const row = parseId(fields[2]);
        if (row === null || row >= vectors.rows) {
          report.error('image_index.tsv', number, `row ${fields[2]} is not a row of the ${vectors.rows} vectors`);
          return;
        }
        if (id === null) return;
        if (seen.has(id)) {
          report.warning('image_index.tsv', number, `entity ${fields[1]} already has a vector; the first is kept (as the benchmarks do)`);
          return;
        }
        seen.add(id);
        rows.push(row);
        owners.push(id);
      });
      images.dims = vectors.dims;
      images.vectors = new Float32Array(rows.length * vectors.dims);
      rows.forEach((r, k) => images.vectors.set(vectors.data.subarray(r * vectors.dims, (r + 1) * vectors.dims), k * vectors.dims));
      images.entity = Int32Array.from(owners);
    }
  }

  if (existsSync(join(dir, 'image_files.tsv'))) {
    const checks: Promise<void>[] = [];
    const root = realpathSync(dir);
    await eachLine(join(dir, 'image_files.tsv'), 'image_files.tsv', report, ({ number, fields }) => {
      const id = entityOf('image_files.tsv', number, fields[0], fields[1]);
      if (id === null || !fields[2]) return;
      const path = resolve(dir, fields[2]);
      // the app serves these files (thumbnails): only files inside the dataset folder, links resolved
      if (!isInside(root, resolvedSync(path))) {
        report.error('image_files.tsv', number, `image ${fields[2]} is outside the dataset folder (${dir}); copy it into the folder and name it relative to it`);
        return;
      }
      checks.push(
        sharp(path)
          .metadata()
          .then((m) => {
            if (!m.width || !m.height) throw new Error('no image size');
            images.files.push({ entity: id, path });
          })
          .catch((e: unknown) => report.warning('image_files.tsv', number, `cannot read image ${fields[2]}: ${(e as Error).message}`)),
      );
    });
    await Promise.all(checks);
    images.files.sort((a, b) => a.entity - b.entity || a.path.localeCompare(b.path));
  }
  pair.images = images;
  // per side: entities with a vector or a readable file
  for (const s of pair.sides) {
    const own = new Set(s.ids);
    const withImage = new Set([...images.entity, ...images.files.map((f) => f.entity)].filter((id) => own.has(id)));
    s.images = withImage.size;
  }
}
