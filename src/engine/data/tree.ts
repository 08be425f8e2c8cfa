// A JSON value holding typed arrays, stored as one JSON manifest plus one raw little-endian file per
// typed array (the feature cache, model checkpoints): reading back is a few file reads, no parsing
// of numbers.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesOf, readBytes } from './binary';

type Typed = Int32Array | Float32Array | Float64Array | Uint8Array;
const CTORS = { Int32Array, Float32Array, Float64Array, Uint8Array } as const;
type Dtype = keyof typeof CTORS;

/** Writes `value` into `dir` (created) with its plain part in `manifest.json` beside `extra`. */
export async function writeTree(dir: string, value: unknown, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const writes: Promise<void>[] = [];
  const encode = (v: unknown, path: string): unknown => {
    if (ArrayBuffer.isView(v)) {
      const a = v as Typed;
      const file = `${path}.bin`;
      writes.push(writeFile(join(dir, file), bytesOf(a)));
      return { $array: file, dtype: a.constructor.name as Dtype, length: a.length };
    }
    if (Array.isArray(v) || v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x, path ? `${path}.${k}` : k)]));
  };
  const data = encode(value, '');
  await Promise.all(writes);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...extra, data }));
}

/** The manifest's plain fields and its `data` with the typed arrays read back; null if absent. */
export async function readTree<T>(dir: string): Promise<{ data: T; manifest: Record<string, unknown> } | null> {
  if (!existsSync(join(dir, 'manifest.json'))) return null;
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const decode = async (v: unknown): Promise<unknown> => {
    if (Array.isArray(v) || v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.$array === 'string') {
      const a = new CTORS[o.dtype as Dtype](await readBytes(join(dir, o.$array)));
      if (a.length !== o.length) throw new Error(`${join(dir, o.$array)}: expected ${String(o.length)} values, found ${a.length}`);
      return a;
    }
    const entries = await Promise.all(Object.entries(o).map(async ([k, x]) => [k, await decode(x)] as const));
    return Object.fromEntries(entries);
  };
  return { data: (await decode(manifest.data)) as T, manifest };
}

/** writeTree into a scratch folder beside `dir`, then swapped in: a reader never sees half of one. */
export async function replaceTree(dir: string, value: unknown, extra: Record<string, unknown> = {}): Promise<void> {
  const scratch = `${dir}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await writeTree(scratch, value, extra);
  await rm(dir, { recursive: true, force: true });
  await rename(scratch, dir);
}
