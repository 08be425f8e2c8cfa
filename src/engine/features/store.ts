// The feature cache inside a project: features/manifest.json (fingerprint, settings, every plain
// field) plus one raw little-endian file per typed array, so reopening is a few file reads.
// Rebuilt only when the fingerprint (inputs + settings + FEATURES_VERSION) changes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTree, replaceTree, writeTree } from '../data/tree';
import type { KgPair } from '../data/kg';
import { readManifest, readProjectPair } from '../data/project';
import { buildFeatures, type FeatureSettings, type Features } from './build';

/** Bump when buildFeatures changes what it computes, so old caches are rebuilt. */
export const FEATURES_VERSION = 4;

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
    for (const f of ['kg.json', 'triples_1.i32', 'triples_2.i32', 'image_vectors.f32', 'image_entity.i32', 'name_vectors.f32', 'name_vector_entity.i32']) {
      if (existsSync(join(project, f))) h.update(f).update(await readFile(join(project, f)));
    }
  }
  h.update(JSON.stringify(settings)).update(String(FEATURES_VERSION));
  return h.digest('hex');
}

export async function saveFeatures(dir: string, features: Features, fp: string, settings: FeatureSettings): Promise<void> {
  await writeTree(dir, features, { version: FEATURES_VERSION, fingerprint: fp, settings, builtAt: new Date().toISOString() });
}

export async function loadFeatures(dir: string): Promise<{ features: Features; fingerprint: string } | null> {
  const tree = await readTree<Features>(dir);
  return tree && { features: tree.data, fingerprint: tree.manifest.fingerprint as string };
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
  await replaceTree(dir, features, { version: FEATURES_VERSION, fingerprint: fp, settings, builtAt: new Date().toISOString() });
  return { features, cached: false };
}
