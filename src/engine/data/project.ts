// A project on disk and its in-memory graph index. Written by the import job (in the engine
// process), opened by main to answer the renderer's graph queries.
//
// Layout of a project folder (version 1):
//   project.json          manifest: format, version, name, createdAt, source
//   kg.json               entities, names, relations, attributes, links, split, image files
//   triples_1.i32, _2     relation triples as little-endian int32 (head, relation, tail) rows
//   image_vectors.f32     image vectors (float32 rows), owned by the ids in image_entity.i32
//   name_vectors.f32      names' mean word vectors (float32 rows), owned by the ids in name_vector_entity.i32
//   features/             the feature cache (features/store.ts)
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityDetail, EntityRow, GraphSummary, Neighbourhood, NeighbourhoodEdge, NeighbourhoodNode, ProjectSummary, Side } from '../../shared/types';
import { settingsWithSplit, splitSizes } from '../features/build';
import { MmeaError } from '../../shared/errors';
import { requireFolder } from './folder';
import { bytesOf, readBytes } from './binary';
import { tripleCsr } from './csr';
import { countOnes, uriCarriesName, type KgImages, type KgPair, type KgSide } from './kg';

export const PROJECT_FORMAT = 'mmea-studio-project';
export const PROJECT_VERSION = 1;

export interface ProjectManifest {
  format: typeof PROJECT_FORMAT;
  version: number;
  name: string;
  createdAt: string;
  source: { path: string; format: string };
  /** sha256 of the graph files as written (set by writeProject): what feature caches are keyed by,
   *  so reopening never has to hash the files again */
  contentHash?: string;
  /** the fraction of the known pairs given to training as seeds when the data has no split files
   *  (chosen at import; absent: the default, 20 %); the dataset's own split wins where it has one */
  seedRate?: number;
}

interface StoredSide {
  name: string;
  ids: number[];
  uris: string[];
  names: (string | null)[];
  relations: [number, string][];
  attributeNames: string[];
  attrEntity: number[];
  attrName: number[];
  attrValue: (string | null)[];
  tripleLines?: number;
  relationsDeclared?: number;
  /** local indices of entities named by a names file */
  nameFromFile?: number[];
  images?: number;
  nameVectors?: number;
}

interface StoredKg {
  sides: [StoredSide, StoredSide];
  links: number[];
  train: number[];
  valid?: number[];
  test: number[];
  /** image vectors live in image_vectors.f32 / image_entity.i32 */
  images?: { dims: number; files: KgImages['files'] };
  /** name word vectors live in name_vectors.f32 / name_vector_entity.i32 */
  nameVectors?: { dims: number; source: string };
}

/** Writes `pair` as a project into `dir` (which must not exist yet or be empty). */
export async function writeProject(dir: string, pair: KgPair, manifest: ProjectManifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  const side = (s: KgSide): StoredSide => ({
    name: s.name,
    ids: s.ids,
    uris: s.uris,
    names: s.names,
    relations: [...s.relations],
    attributeNames: s.attributeNames,
    attrEntity: [...s.attrEntity],
    attrName: [...s.attrName],
    attrValue: s.attrValue,
    tripleLines: s.tripleLines,
    relationsDeclared: s.relationsDeclared,
    nameFromFile: [...s.nameFromFile.keys()].filter((i) => s.nameFromFile[i] === 1),
    images: s.images ?? 0,
    nameVectors: s.nameVectors ?? 0,
  });
  const kg: StoredKg = {
    sides: [side(pair.sides[0]), side(pair.sides[1])],
    links: [...pair.links],
    train: [...pair.train],
    valid: [...(pair.valid ?? [])],
    test: [...pair.test],
    images: { dims: pair.images?.dims ?? 0, files: pair.images?.files ?? [] },
    nameVectors: { dims: pair.nameVectors?.dims ?? 0, source: pair.nameVectors?.source ?? '' },
  };
  const files: [string, string | Buffer][] = [
    ['kg.json', JSON.stringify(kg)],
    ...pair.sides.map((s): [string, Buffer] => [`triples_${s.side}.i32`, bytesOf(s.triples)]),
    ['image_vectors.f32', bytesOf(pair.images?.vectors ?? new Float32Array(0))],
    ['image_entity.i32', bytesOf(pair.images?.entity ?? new Int32Array(0))],
    ['name_vectors.f32', bytesOf(pair.nameVectors?.vectors ?? new Float32Array(0))],
    ['name_vector_entity.i32', bytesOf(pair.nameVectors?.entity ?? new Int32Array(0))],
  ];
  const hash = createHash('sha256');
  for (const [name, data] of files) {
    hash.update(name).update(data);
    await writeFile(join(dir, name), data);
  }
  // the manifest last: a folder without it is not a project
  const written: ProjectManifest = { ...manifest, contentHash: hash.digest('hex') };
  await writeFile(join(dir, 'project.json'), JSON.stringify(written, null, 2) + '\n');
}

/** Moves a finished project from its scratch folder to its place; replaces an old one if asked. */
export async function commitProject(scratch: string, dir: string, replace: boolean): Promise<void> {
  if (existsSync(dir)) {
    if (!replace) throw new MmeaError('bad-input', `project folder already exists: ${dir}`);
    const old = `${dir}.old-${process.pid}-${Date.now()}`;
    await rename(dir, old);
    await rename(scratch, dir);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(scratch, dir);
  }
}

export function isProject(dir: string): boolean {
  return existsSync(join(dir, 'project.json'));
}

interface SideIndex {
  side: Side;
  name: string;
  ids: Int32Array;
  uris: string[];
  labels: string[];
  lowerLabels: string[];
  relationNames: Map<number, string>;
  tripleCount: number;
  // CSR over local indices: for node i, edges offsets[i]..offsets[i+1]
  offsets: Int32Array;
  nbr: Int32Array;
  rel: Int32Array;
  out: Uint8Array; // 1 = i is the head of the triple, 0 = i is the tail
  attributeNames: string[];
  attrOffsets: Int32Array;
  attrName: Int32Array;
  attrValue: (string | null)[];
  /** local indices by decreasing degree (ties by index): the entity list's order */
  byDegree: Int32Array;
  summary: GraphSummary;
}

export class Project {
  readonly path: string;
  readonly manifest: ProjectManifest;
  private readonly sides: [SideIndex, SideIndex];
  private readonly where = new Map<number, { side: Side; index: number }>();
  private readonly seed = new Map<number, number>();
  private readonly counts: ProjectSummary['links'];
  private readonly split: ProjectSummary['split'];
  /** image files by entity id, in the dataset's order */
  private readonly imageFiles = new Map<number, string[]>();

  private constructor(path: string, manifest: ProjectManifest, kg: StoredKg, triples: [Int32Array, Int32Array]) {
    this.path = path;
    this.manifest = manifest;
    this.sides = [buildSide(1, kg.sides[0], triples[0]), buildSide(2, kg.sides[1], triples[1])];
    for (const s of this.sides) s.ids.forEach((id, index) => this.where.set(id, { side: s.side, index }));
    for (let i = 0; i < kg.train.length; i += 2) {
      this.seed.set(kg.train[i]!, kg.train[i + 1]!);
      this.seed.set(kg.train[i + 1]!, kg.train[i]!);
    }
    this.counts = { total: kg.links.length / 2, train: kg.train.length / 2, test: kg.test.length / 2 };
    const settings = settingsWithSplit({ seedRate: manifest.seedRate }).split;
    const sizes = splitSizes(this.counts.total, { train: this.counts.train, valid: (kg.valid?.length ?? 0) / 2, test: this.counts.test }, settings);
    this.split = { ...sizes, rate: sizes.source === 'seeded' ? settings.trainRate : null, seed: settings.seed };
    for (const { entity, path } of kg.images?.files ?? []) {
      const list = this.imageFiles.get(entity);
      if (list) list.push(path);
      else this.imageFiles.set(entity, [path]);
    }
  }

  /** The image files of an entity (absolute paths), or none. */
  imagesOf(id: number): string[] {
    this.locate(id);
    return this.imageFiles.get(id) ?? [];
  }

  static async open(path: string): Promise<Project> {
    const { manifest, kg, triples } = await readStored(path);
    return new Project(path, manifest, kg, triples);
  }

  /** Whether graph `side` has an entity with this URI. */
  hasUri(side: Side, uri: string): boolean {
    return this.idOfUri(side, uri) !== undefined;
  }

  /** URI and label of an entity id. */
  nameOf(id: number): { uri: string; label: string } {
    const { s, index } = this.locate(id);
    return { uri: s.uris[index]!, label: s.labels[index]! };
  }

  private uriIds: [Map<string, number>, Map<string, number>] | null = null;

  /** The entity id of a URI in graph `side`, or undefined. */
  idOfUri(side: Side, uri: string): number | undefined {
    this.uriIds ??= [0, 1].map((k) => new Map(this.sides[k]!.uris.map((u, i) => [u, this.sides[k]!.ids[i]!]))) as [Map<string, number>, Map<string, number>];
    return this.uriIds[side - 1]!.get(uri);
  }

  summary(): ProjectSummary {
    return {
      path: this.path,
      name: this.manifest.name,
      source: this.manifest.source,
      graphs: [this.sides[0].summary, this.sides[1].summary],
      links: this.counts,
      split: this.split,
    };
  }

  private locate(id: number): { s: SideIndex; index: number } {
    const w = this.where.get(id);
    if (!w) throw new MmeaError('not-found', `no entity with id ${id}`);
    return { s: this.sides[w.side - 1]!, index: w.index };
  }

  private row(s: SideIndex, index: number): EntityRow {
    const id = s.ids[index]!;
    return {
      id,
      label: s.labels[index]!,
      degree: s.offsets[index + 1]! - s.offsets[index]!,
      seedCounterpart: this.seed.get(id) ?? null,
    };
  }

  /** Entities of one side whose label or URI contains `query` (case-insensitive), by degree. */
  entities(side: Side, query: string | undefined, offset: number, limit: number): { total: number; items: EntityRow[] } {
    const s = this.sides[side - 1]!;
    const q = query?.trim().toLowerCase() ?? '';
    const hits: number[] = [];
    for (const i of s.byDegree) {
      if (q.length === 0 || s.lowerLabels[i]!.includes(q) || s.uris[i]!.toLowerCase().includes(q)) hits.push(i);
    }
    return { total: hits.length, items: hits.slice(offset, offset + limit).map((i) => this.row(s, i)) };
  }

  /** An entity's attributes, image count and first `maxRelations` relations (a hub has thousands). */
  entity(id: number, maxRelations = Infinity): EntityDetail {
    const { s, index } = this.locate(id);
    const attributes: EntityDetail['attributes'] = [];
    for (let k = s.attrOffsets[index]!; k < s.attrOffsets[index + 1]!; k++) {
      attributes.push({ name: s.attributeNames[s.attrName[k]!]!, value: s.attrValue[k] ?? null });
    }
    const relations: EntityDetail['relations'] = [];
    const end = Math.min(s.offsets[index + 1]!, s.offsets[index]! + maxRelations);
    for (let k = s.offsets[index]!; k < end; k++) {
      const o = s.nbr[k]!;
      relations.push({
        relation: s.relationNames.get(s.rel[k]!) ?? `relation ${s.rel[k]}`,
        direction: s.out[k] ? 'out' : 'in',
        other: s.ids[o]!,
        otherLabel: s.labels[o]!,
      });
    }
    const relationCount = s.offsets[index + 1]! - s.offsets[index]!;
    return { ...this.row(s, index), side: s.side, uri: s.uris[index]!, attributes, relations, relationCount, images: this.imageFiles.get(id)?.length ?? 0 };
  }

  /** Breadth-first ego graph of `id` up to `hops`, capped at `maxNodes` nodes. */
  neighbourhood(id: number, hops: number, maxNodes: number): Neighbourhood {
    const { s, index } = this.locate(id);
    const hop = new Map<number, number>([[index, 0]]);
    let frontier = [index];
    let truncated = false;
    for (let h = 1; h <= hops && frontier.length > 0; h++) {
      const next: number[] = [];
      for (const u of frontier) {
        for (let k = s.offsets[u]!; k < s.offsets[u + 1]!; k++) {
          const v = s.nbr[k]!;
          if (hop.has(v)) continue;
          if (hop.size >= maxNodes) {
            truncated = true;
            break;
          }
          hop.set(v, h);
          next.push(v);
        }
      }
      frontier = next;
    }
    const nodes: NeighbourhoodNode[] = [...hop].map(([i, h]) => ({ ...this.row(s, i), hop: h }));
    const edges: NeighbourhoodEdge[] = [];
    const seen = new Set<string>();
    for (const u of hop.keys()) {
      for (let k = s.offsets[u]!; k < s.offsets[u + 1]!; k++) {
        const v = s.nbr[k]!;
        if (!hop.has(v) || !s.out[k]) continue;
        const key = `${u} ${v} ${s.rel[k]}`;
        if (seen.has(key)) continue;
        seen.add(key);
        edges.push({ source: s.ids[u]!, target: s.ids[v]!, relation: s.relationNames.get(s.rel[k]!) ?? `relation ${s.rel[k]}` });
      }
    }
    return { side: s.side, center: id, nodes, edges, truncated };
  }
}

/** The manifest alone (cheap: no graph files are read). */
export async function readManifest(path: string): Promise<ProjectManifest> {
  return (await readStored(path, false)).manifest;
}

async function readStored(path: string, graphs: false): Promise<{ manifest: ProjectManifest }>;
async function readStored(path: string): Promise<{ manifest: ProjectManifest; kg: StoredKg; triples: [Int32Array, Int32Array] }>;
async function readStored(path: string, graphs = true): Promise<{ manifest: ProjectManifest; kg?: StoredKg; triples?: [Int32Array, Int32Array] }> {
  requireFolder(path, 'a project folder');
  if (!isProject(path)) throw new MmeaError('not-found', `not a project folder (no project.json): ${path}`);
  let manifest: ProjectManifest;
  let kg: StoredKg;
  try {
    manifest = JSON.parse(await readFile(join(path, 'project.json'), 'utf8')) as ProjectManifest;
    if (manifest.format !== PROJECT_FORMAT || manifest.version > PROJECT_VERSION) {
      throw new MmeaError('bad-input', `${join(path, 'project.json')}: not a version ${PROJECT_VERSION} MMEA Studio project`);
    }
    if (!graphs) return { manifest };
    kg = JSON.parse(await readFile(join(path, 'kg.json'), 'utf8')) as StoredKg;
  } catch (e) {
    if (e instanceof MmeaError) throw e;
    throw new MmeaError('bad-input', `cannot read project ${path}: ${(e as Error).message}`);
  }
  const triples = await Promise.all(
    ([1, 2] as const).map(async (s) => {
      const bytes = await readBytes(join(path, `triples_${s}.i32`));
      if (bytes.byteLength % 12 !== 0) throw new MmeaError('bad-input', `${join(path, `triples_${s}.i32`)}: truncated`);
      return new Int32Array(bytes);
    }),
  );
  return { manifest, kg, triples: triples as [Int32Array, Int32Array] };
}

/** The project's graphs as a KgPair again (what features are built from). */
export async function readProjectPair(path: string): Promise<KgPair> {
  const { manifest, kg, triples } = await readStored(path);
  const side = (k: 0 | 1): KgSide => {
    const st = kg.sides[k];
    const nameFromFile = new Uint8Array(st.ids.length);
    for (const i of st.nameFromFile ?? []) nameFromFile[i] = 1;
    return {
      side: (k + 1) as Side,
      name: st.name,
      ids: st.ids,
      uris: st.uris,
      names: st.names,
      relations: new Map(st.relations),
      relationsDeclared: st.relationsDeclared ?? 0,
      triples: triples[k],
      attributeNames: st.attributeNames,
      attrEntity: Int32Array.from(st.attrEntity),
      attrName: Int32Array.from(st.attrName),
      attrValue: st.attrValue,
      tripleLines: st.tripleLines ?? triples[k].length / 3,
      namedFromFile: countOnes(nameFromFile),
      nameFromFile,
      images: st.images ?? 0,
      nameVectors: st.nameVectors ?? 0,
    };
  };
  return {
    name: manifest.name,
    format: manifest.source.format,
    sides: [side(0), side(1)],
    links: Int32Array.from(kg.links),
    train: Int32Array.from(kg.train),
    valid: Int32Array.from(kg.valid ?? []),
    test: Int32Array.from(kg.test),
    images: await readStoredImages(path, kg),
    ...(kg.nameVectors &&
      kg.nameVectors.dims > 0 && {
        nameVectors: {
          dims: kg.nameVectors.dims,
          source: kg.nameVectors.source,
          vectors: new Float32Array(await readBytes(join(path, 'name_vectors.f32'))),
          entity: new Int32Array(await readBytes(join(path, 'name_vector_entity.i32'))),
        },
      }),
  };
}

async function readStoredImages(path: string, kg: StoredKg): Promise<KgImages> {
  return {
    dims: kg.images?.dims ?? 0,
    vectors: new Float32Array(await readBytes(join(path, 'image_vectors.f32'), true)),
    entity: new Int32Array(await readBytes(join(path, 'image_entity.i32'), true)),
    files: kg.images?.files ?? [],
  };
}

function buildSide(side: Side, st: StoredSide, triples: Int32Array): SideIndex {
  const n = st.ids.length;
  const local = new Map<number, number>();
  st.ids.forEach((id, i) => local.set(id, i));
  const m = triples.length / 3;
  const { indptr: offsets, neighbours: nbr, relations: rel, outgoing: out } = tripleCsr(n, [triples], (id) => local.get(id)!);
  // attributes grouped by entity (counting sort keeps file order within an entity)
  const attrOffsets = new Int32Array(n + 1);
  for (const e of st.attrEntity) attrOffsets[e + 1]!++;
  for (let i = 0; i < n; i++) attrOffsets[i + 1]! += attrOffsets[i]!;
  const afill = attrOffsets.slice(0, n);
  const attrName = new Int32Array(st.attrEntity.length);
  const attrValue: (string | null)[] = new Array(st.attrEntity.length);
  st.attrEntity.forEach((e, k) => {
    const p = afill[e]!++;
    attrName[p] = st.attrName[k]!;
    attrValue[p] = st.attrValue[k] ?? null;
  });
  const labels = st.names.map((l, i) => l ?? st.uris[i]!);
  const fromFile = new Set(st.nameFromFile ?? []); // (names stored for the others come from their URIs)
  const degree = (i: number) => offsets[i + 1]! - offsets[i]!;
  const byDegree = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => degree(b) - degree(a) || a - b);
  return {
    side,
    name: st.name,
    ids: Int32Array.from(st.ids),
    uris: st.uris,
    labels,
    lowerLabels: labels.map((l) => l.toLowerCase()),
    relationNames: new Map(st.relations),
    tripleCount: m,
    offsets,
    nbr,
    rel,
    out,
    attributeNames: st.attributeNames,
    attrOffsets,
    attrName,
    attrValue,
    byDegree,
    summary: {
      side,
      name: st.name,
      entities: n,
      relations: st.relations.length,
      triples: m,
      attributeNames: st.attributeNames.length,
      attributeValues: st.attrValue.filter((v) => v !== null).length,
      named: fromFile.size,
      uriNames: st.uris.filter((u, i) => !fromFile.has(i) && uriCarriesName(u)).length,
    },
  };
}
