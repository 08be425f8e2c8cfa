// The feature cache inside a project: features/manifest.json (fingerprint, settings, every plain
// field) plus one raw little-endian file per typed array, so reopening is a few file reads.
// Rebuilt only when the fingerprint (inputs + settings + FEATURES_VERSION) changes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesOf, readBytes } from '../data/binary';
import type { KgPair } from '../data/kg';
import { readManifest, readProjectPair } from '../data/project';
import { buildFeatures, type FeatureSettings, type Features } from './build';

/** Bump when buildFeatures changes what it computes, so old caches are rebuilt. */
export const FEATURES_VERSION = 2;

type Typed = Int32Array | Float32Array | Float64Array | Uint8Array;
const CTORS = { Int32Array, Float32Array, Float64Array, Uint8Array } as const;
type Dtype = keyof typeof CTORS;

interface FeatureManifest {
  version: number;
  fingerprint: string;
  settings: FeatureSettings;
  builtAt: string;
  /** every non-array field, with typed arrays replaced by {"$array": file, "dtype": …} */
  data: unknown;
}

/**
 * Hash of the project's graph files, the settings and the builder's version. The graph files' hash
 * is the one writeProject recorded in project.json; projects written before it recorded one are
 * hashed from their files.
 */
export async function fingerprint(project: string, settings: FeatureSettings): Promise<string> {
  const h = createHash('sha256');
  const { contentHash } = await readManifest(project);
  if (contentHash) h.update(contentHash);
  else {
    for (const f of ['kg.json', 'triples_1.i32', 'triples_2.i32', 'image_vectors.f32', 'image_entity.i32']) {
      if (existsSync(join(project, f))) h.update(f).update(await readFile(join(project, f)));
    }
  }
  h.update(JSON.stringify(settings)).update(String(FEATURES_VERSION));
  return h.digest('hex');
}

export async function saveFeatures(dir: string, features: Features, fp: string, settings: FeatureSettings): Promise<void> {
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
  const data = encode(features, '');
  await Promise.all(writes);
  const manifest: FeatureManifest = { version: FEATURES_VERSION, fingerprint: fp, settings, builtAt: new Date().toISOString(), data };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

export async function loadFeatures(dir: string): Promise<{ features: Features; fingerprint: string } | null> {
  if (!existsSync(join(dir, 'manifest.json'))) return null;
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as FeatureManifest;
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
  return { features: (await decode(manifest.data)) as Features, fingerprint: manifest.fingerprint };
}

/**
 * The project's features for `settings`: from the cache when its fingerprint matches, else built
 * and cached (written beside and renamed, so a half-written cache is never read). `pair` is the
 * project's graphs when the caller has them in memory (the import job, which has just written
 * them); otherwise they are read from the project.
 */
export async function ensureFeatures(
  project: string,
  settings: FeatureSettings,
  progress: (f: number, stage: string) => void = () => {},
  pair?: KgPair,
): Promise<{ features: Features; cached: boolean }> {
  const dir = join(project, 'features');
  const fp = await fingerprint(project, settings);
  try {
    const cached = await loadFeatures(dir);
    if (cached && cached.fingerprint === fp) return { features: cached.features, cached: true };
  } catch {
    // an unreadable cache is rebuilt below
  }
  const features = buildFeatures(pair ?? (await readProjectPair(project)), settings, progress);
  const scratch = `${dir}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await saveFeatures(scratch, features, fp, settings);
  await rm(dir, { recursive: true, force: true });
  await rename(scratch, dir);
  return { features, cached: false };
}
