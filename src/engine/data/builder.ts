// Builds a KgPair from string-keyed input (URIs or names), for the formats that name entities
// instead of numbering them (OpenEA, MMKB, our TSV). Entities are numbered in order of first
// appearance, KG1 first: KG1 ids 0..n1-1, KG2 ids n1..n1+n2-1.
import type { Side } from '../../shared/types';
import { withoutDuplicateTriples } from './duplicates';
import { countOnes, labelFromUri, type KgPair } from './kg';

interface SideBuilder {
  keys: string[];
  index: Map<string, number>;
  names: (string | null)[];
  triples: number[]; // local h, global relation id, local t; repeats dropped at build
  lines: number;
  attrEntity: number[];
  attrName: number[];
  attrValue: (string | null)[];
  attrIndex: Map<string, number>;
  attributeNames: string[];
  relations: Map<number, string>;
  images: Map<number, string[]>;
}

const fresh = (): SideBuilder => ({
  keys: [],
  index: new Map(),
  names: [],
  triples: [],
  lines: 0,
  attrEntity: [],
  attrName: [],
  attrValue: [],
  attrIndex: new Map(),
  attributeNames: [],
  relations: new Map(),
  images: new Map(),
});

export type LinkPart = 'all' | 'train' | 'valid' | 'test';

export class PairBuilder {
  private readonly sides: [SideBuilder, SideBuilder] = [fresh(), fresh()];
  private readonly relationIds = new Map<string, number>();
  private readonly links: Record<LinkPart, number[]> = { all: [], train: [], valid: [], test: [] };

  constructor(
    private readonly name: string,
    private readonly format: string,
  ) {}

  /** Local index of an entity, created on first mention. */
  entity(side: Side, key: string): number {
    const s = this.sides[side - 1]!;
    let i = s.index.get(key);
    if (i === undefined) {
      i = s.keys.length;
      s.index.set(key, i);
      s.keys.push(key);
      s.names.push(null);
    }
    return i;
  }

  has(side: Side, key: string): boolean {
    return this.sides[side - 1]!.index.has(key);
  }

  /** Adds a relation triple (a repeat is counted in tripleLines and dropped at build). */
  triple(side: Side, head: string, relation: string, tail: string): void {
    const s = this.sides[side - 1]!;
    s.lines++;
    const h = this.entity(side, head);
    const t = this.entity(side, tail);
    let r = this.relationIds.get(relation);
    if (r === undefined) {
      r = this.relationIds.size;
      this.relationIds.set(relation, r);
    }
    s.relations.set(r, relation);
    s.triples.push(h, r, t);
  }

  attribute(side: Side, entity: string, attribute: string, value: string | null): void {
    const s = this.sides[side - 1]!;
    let a = s.attrIndex.get(attribute);
    if (a === undefined) {
      a = s.attributeNames.length;
      s.attrIndex.set(attribute, a);
      s.attributeNames.push(attribute);
    }
    s.attrEntity.push(this.entity(side, entity));
    s.attrName.push(a);
    s.attrValue.push(value);
  }

  setName(side: Side, entity: string, name: string): void {
    this.sides[side - 1]!.names[this.entity(side, entity)] = name;
  }

  image(side: Side, entity: string, image: string): void {
    const s = this.sides[side - 1]!;
    const e = this.entity(side, entity);
    s.images.set(e, [...(s.images.get(e) ?? []), image]);
  }

  link(left: string, right: string, part: LinkPart = 'all'): void {
    this.links[part].push(this.entity(1, left), this.entity(2, right));
  }

  build(): KgPair {
    const n1 = this.sides[0].keys.length;
    const global = (side: Side, local: number) => (side === 1 ? local : n1 + local);
    const sides = this.sides.map((s, k) => {
      const side = (k + 1) as Side;
      const nameFromFile = Uint8Array.from(s.names, (n) => (n === null ? 0 : 1));
      return {
        side,
        name: `KG${side}`,
        ids: s.keys.map((_, i) => global(side, i)),
        uris: s.keys,
        names: s.names.map((n, i) => n ?? labelFromUri(s.keys[i]!)),
        relations: s.relations,
        relationsDeclared: 0,
        triples: withoutDuplicateTriples(Int32Array.from(s.triples, (x, i) => (i % 3 === 1 ? x : global(side, x)))).kept,
        attributeNames: s.attributeNames,
        attrEntity: Int32Array.from(s.attrEntity),
        attrName: Int32Array.from(s.attrName),
        attrValue: s.attrValue,
        tripleLines: s.lines,
        namedFromFile: countOnes(nameFromFile),
        nameFromFile,
        images: s.images.size,
      };
    }) as unknown as KgPair['sides'];
    const pairs = (flat: number[]) => Int32Array.from(flat, (x, i) => (i % 2 === 0 ? x : n1 + x));
    const split = this.links.train.length + this.links.test.length + this.links.valid.length > 0;
    const all = this.links.all.length > 0 ? this.links.all : [...this.links.train, ...this.links.valid, ...this.links.test];
    return {
      name: this.name,
      format: this.format,
      sides,
      links: pairs(all),
      train: split ? pairs(this.links.train) : new Int32Array(0),
      valid: split ? pairs(this.links.valid) : new Int32Array(0),
      test: split ? pairs(this.links.test) : new Int32Array(0),
    };
  }
}
