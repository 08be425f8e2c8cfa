// Reader for the id format of GCN-Align / EVA / MCLEA / MEAformer / HUMEA (methods.md §0.1):
// ent_ids_1/2, triples_1/2, ill_ent_ids | ref_ent_ids, optional sup/dev split files, rel_ids,
// names_1/2, training_attrs_1/2, attr_triples_1/2.
import { createReadStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { parser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { basename, join } from 'node:path';
import type { Side } from '../../shared/types';
import { requireRegularFile } from './folder';
import { countOnes, labelFromUri, type KgPair, type KgSide } from './kg';
import { withoutDuplicateTriples } from './duplicates';
import { eachLine, idTooLarge, parseId } from './lines';
import { InputReport } from './report';

export interface ReadProgress {
  (fraction: number, stage: string): void;
}

const first = (dir: string, names: string[]): string | null => {
  for (const n of names) if (existsSync(join(dir, n))) return n;
  return null;
};

export function looksLikeIdFormat(dir: string): boolean {
  return existsSync(join(dir, 'ent_ids_1')) && existsSync(join(dir, 'ent_ids_2'));
}

export interface IdFormatOptions {
  /** DBP15K's translated-name JSON ([[id, [tokens…]], …], ids as in ent_ids) */
  namesJson?: string;
}

export async function readIdFormat(dir: string, report: InputReport, progress: ReadProgress = () => {}, signal?: AbortSignal, options: IdFormatOptions = {}): Promise<KgPair> {
  const check = () => signal?.throwIfAborted();
  const where = new Map<number, { side: Side; index: number }>();
  const sides: KgSide[] = [];

  for (const side of [1, 2] as const) {
    const file = `ent_ids_${side}`;
    const s: KgSide = {
      side,
      name: `KG${side}`,
      ids: [],
      uris: [],
      names: [],
      relations: new Map(),
      relationsDeclared: 0,
      triples: new Int32Array(0),
      attributeNames: [],
      attrEntity: new Int32Array(0),
      attrName: new Int32Array(0),
      attrValue: [],
      tripleLines: 0,
      namedFromFile: 0,
      nameFromFile: new Uint8Array(0),
    };
    if (!existsSync(join(dir, file))) {
      report.error(file, null, 'file is missing');
    } else {
      const lineOfUri = new Map<string, number>();
      const count = await eachLine(
        join(dir, file),
        file,
        report,
        ({ number, fields }) => {
          const id = parseId(fields[0]);
          if (id === null || fields.length < 2 || fields[1]!.length === 0) {
            report.error(file, number, `expected "<integer id>\\t<entity URI>"${idTooLarge(fields[0])}`);
            return;
          }
          if (where.has(id)) {
            const prev = where.get(id)!;
            report.error(file, number, `entity id ${id} is already used (ent_ids_${prev.side})`);
            return;
          }
          const uri = fields[1]!;
          const first = lineOfUri.get(uri);
          if (first !== undefined) report.warning(file, number, `URI ${uri} is also the entity of line ${first}: two ids for one entity`);
          else lineOfUri.set(uri, number);
          where.set(id, { side, index: s.ids.length });
          s.ids.push(id);
          s.uris.push(uri);
          s.names.push(null);
        },
        { signal },
      );
      if (count === 0) report.error(file, null, `is empty: KG${s.side} needs its entities, one "<id>\\t<URI>" per line`);
    }
    s.nameFromFile = new Uint8Array(s.ids.length);
    sides.push(s);
    progress(0.1 * side, `entities of KG${side}`);
    check();
  }
  const [s1, s2] = sides as [KgSide, KgSide];
  const sideOf = (id: number) => where.get(id);

  // relation names: rel_ids_1/2 or one shared rel_ids
  const relFiles = ['rel_ids_1', 'rel_ids_2', 'rel_ids'].filter((f) => existsSync(join(dir, f)));
  const relNames = new Map<number, string>();
  for (const file of relFiles) {
    let declared = 0;
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        declared++;
        const id = parseId(fields[0]);
        if (id === null || fields.length < 2) report.error(file, number, `expected "<integer id>\\t<relation name>"${idTooLarge(fields[0])}`);
        else relNames.set(id, fields[1]!);
      },
      { signal },
    );
    // rel_ids_k declares KG k's relations; a shared rel_ids declares both graphs'
    if (file === 'rel_ids_1') s1.relationsDeclared = declared;
    else if (file === 'rel_ids_2') s2.relationsDeclared = declared;
    else s1.relationsDeclared = s2.relationsDeclared = declared;
  }

  for (const s of sides) {
    const file = `triples_${s.side}`;
    if (!existsSync(join(dir, file))) {
      report.warning(file, null, `file is missing: KG${s.side} has no relation triples`);
      continue;
    }
    const out: number[] = [];
    await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        const h = parseId(fields[0]);
        const r = parseId(fields[1]);
        const t = parseId(fields[2]);
        if (h === null || r === null || t === null || fields.length !== 3) {
          report.error(file, number, `expected three integer ids "head relation tail"${idTooLarge(...fields)}`);
          return;
        }
        const hs = sideOf(h);
        const ts = sideOf(t);
        if (!hs || !ts) {
          report.error(file, number, `unknown entity id ${!hs ? h : t}`);
          return;
        }
        if (hs.side !== s.side || ts.side !== s.side) {
          report.error(file, number, `entity id ${hs.side !== s.side ? h : t} belongs to KG${hs.side !== s.side ? hs.side : ts.side}`);
          return;
        }
        out.push(h, r, t);
        if (!s.relations.has(r)) s.relations.set(r, relNames.get(r) ?? `relation ${r}`);
      },
      { ws: true, signal },
    );
    const { kept, duplicates } = withoutDuplicateTriples(Int32Array.from(out));
    if (duplicates > 0) report.warning(file, null, `${duplicates} duplicate triple line(s) ignored`);
    s.triples = kept;
    s.tripleLines = out.length / 3;
    progress(0.2 + 0.25 * s.side, `relation triples of KG${s.side}`);
    check();
  }

  // names
  for (const s of sides) {
    const file = `names_${s.side}`;
    if (existsSync(join(dir, file))) {
      await eachLine(
        join(dir, file),
        file,
        report,
        ({ number, fields }) => {
          const id = parseId(fields[0]);
          const w = id === null ? undefined : sideOf(id);
          if (id === null || fields.length < 2) {
            report.error(file, number, `expected "<integer id>\\t<name>"${idTooLarge(fields[0])}`);
          } else if (!w || w.side !== s.side) {
            report.warning(file, number, `entity id ${id} is not in ent_ids_${s.side}`);
          } else if (fields[1]!.trim().length > 0) {
            s.names[w.index] = fields[1]!.replace(/_/g, ' ');
            s.nameFromFile[w.index] = 1;
          }
        },
        { signal },
      );
    }
  }

  if (options.namesJson) await readNamesJson(options.namesJson, sideOf, sides, report);

  // DH-MEA's `attr`: line i holds the numeric attributes of global entity i-1 as
  // name|||value|||type (DB15K, YAGO15K) or name|||value (FB15K) joined by ^^^ (empty line = none)
  let dhmeaAttrs: Map<number, [string, string][]> | null = null;
  if (existsSync(join(dir, 'attr'))) {
    dhmeaAttrs = new Map();
    await eachLine(
      join(dir, 'attr'),
      'attr',
      report,
      ({ number, text: row }) => {
        const i = number - 1;
        const pairs: [string, string][] = [];
        for (const item of row.split('^^^')) {
          const parts = item.split('|||');
          if (parts.length < 2 || parts.length > 3 || parts[0]!.length === 0) {
            report.error('attr', i + 1, `expected name|||value[|||type] items joined by ^^^, got "${item.slice(0, 60)}"`);
            continue;
          }
          pairs.push([parts[0]!, parts[1]!]);
        }
        if (!sideOf(i)) report.warning('attr', i + 1, `line ${i + 1} has attributes but entity id ${i} is in neither graph`);
        dhmeaAttrs!.set(i, pairs);
      },
      { signal, textOnly: true },
    );
  }

  // attributes: names only (training_attrs) and values (attr_triples), keyed by entity URI
  for (const s of sides) {
    const byUri = new Map(s.uris.map((u, i) => [u, i] as const));
    const attrIndex = new Map<string, number>();
    const ent: number[] = [];
    const nam: number[] = [];
    const val: (string | null)[] = [];
    const withValue = new Set<string>();
    const add = (e: number, a: string, v: string | null) => {
      let ai = attrIndex.get(a);
      if (ai === undefined) {
        ai = s.attributeNames.length;
        attrIndex.set(a, ai);
        s.attributeNames.push(a);
      }
      ent.push(e);
      nam.push(ai);
      val.push(v);
    };
    const valuesFile = `attr_triples_${s.side}`;
    if (existsSync(join(dir, valuesFile))) {
      await eachLine(
        join(dir, valuesFile),
        valuesFile,
        report,
        ({ number, fields }) => {
          if (fields.length < 3) {
            report.error(valuesFile, number, 'expected "<entity>\\t<attribute>\\t<value>"');
            return;
          }
          const e = byUri.get(fields[0]!);
          if (e === undefined) {
            report.warning(valuesFile, number, `entity ${fields[0]} is not in ent_ids_${s.side}`);
            return;
          }
          add(e, fields[1]!, fields.slice(2).join('\t'));
          withValue.add(`${e}\t${fields[1]}`);
        },
        { signal },
      );
    }
    const namesFile = `training_attrs_${s.side}`;
    if (existsSync(join(dir, namesFile))) {
      await eachLine(
        join(dir, namesFile),
        namesFile,
        report,
        ({ number, fields }) => {
          const e = byUri.get(fields[0]!);
          if (e === undefined) report.warning(namesFile, number, `entity ${fields[0]} is not in ent_ids_${s.side}`);
          else for (const a of fields.slice(1)) if (a.length > 0 && !withValue.has(`${e}\t${a}`)) add(e, a, null);
        },
        { signal },
      );
    }
    if (dhmeaAttrs) {
      for (const [id, pairs] of dhmeaAttrs) {
        const w = sideOf(id);
        if (w?.side !== s.side) continue;
        for (const [a, v] of pairs) add(w.index, a, v);
      }
    }
    s.attrEntity = Int32Array.from(ent);
    s.attrName = Int32Array.from(nam);
    s.attrValue = val;
  }
  progress(0.8, 'attributes');
  check();

  // links and split
  const readPairs = async (file: string): Promise<{ pairs: Int32Array; lines: number[] }> => {
    const out: number[] = [];
    const at: number[] = [];
    const count = await eachLine(
      join(dir, file),
      file,
      report,
      ({ number, fields }) => {
        const a = parseId(fields[0]);
        const b = parseId(fields[1]);
        if (a === null || b === null || fields.length !== 2) {
          report.error(file, number, `expected two integer ids "left right"${idTooLarge(...fields)}`);
          return;
        }
        const wa = sideOf(a);
        const wb = sideOf(b);
        if (!wa || !wb) {
          report.error(file, number, `unknown entity id ${!wa ? a : b}`);
          return;
        }
        if (wa.side !== 1 || wb.side !== 2) {
          report.error(file, number, `a link must go from KG1 to KG2 (got KG${wa.side} -> KG${wb.side})`);
          return;
        }
        out.push(a, b);
        at.push(number);
      },
      { ws: true, signal },
    );
    if (count === 0) report.error(file, null, 'is empty: the known pairs are needed, one "<id1> <id2>" per line');
    return { pairs: Int32Array.from(out), lines: at };
  };
  const linkFile = first(dir, ['ill_ent_ids', 'ref_ent_ids', 'ent_links']);
  let links: Int32Array = new Int32Array(0);
  if (linkFile) {
    const read = await readPairs(linkFile);
    links = read.pairs;
    checkOneToOne(links, read.lines, linkFile, report);
  }
  let train: Int32Array = new Int32Array(0);
  let test: Int32Array = new Int32Array(0);
  const trainFile = first(dir, ['sup_ent_ids', 'sup_pairs']);
  const testFile = first(dir, ['dev_ent_ids', 'ref_pairs']);
  if (trainFile) train = (await readPairs(trainFile)).pairs;
  if (testFile) test = (await readPairs(testFile)).pairs;
  if (trainFile && !testFile) {
    const inTrain = new Set<number>();
    for (let i = 0; i < train.length; i += 2) inTrain.add(train[i]!);
    const rest: number[] = [];
    for (let i = 0; i < links.length; i += 2) if (!inTrain.has(links[i]!)) rest.push(links[i]!, links[i + 1]!);
    test = Int32Array.from(rest);
  }
  if (!linkFile && (trainFile || testFile)) links = Int32Array.from([...train, ...test]);
  if (links.length === 0) {
    report.warning('ill_ent_ids', null, 'no links (ill_ent_ids, ref_ent_ids or split files): nothing to train or evaluate on');
  }
  progress(1, 'links');

  for (const s of sides) {
    s.names = s.names.map((n, i) => n ?? labelFromUri(s.uris[i]!));
    s.namedFromFile = countOnes(s.nameFromFile);
  }
  // what could be read, even with errors: `inspect` reports it, `import` refuses it (report.hasErrors)
  return { name: basename(dir), format: 'ids', sides: [s1, s2], links, train, test };
}

/**
 * Flags an entity linked to two different counterparts. A warning, not an error: the published
 * benchmarks contain such links (FB15K-DB15K has 4 DB15K entities linked twice) and are used as is.
 */
function checkOneToOne(links: Int32Array, lineNumbers: number[], file: string, report: InputReport): void {
  const l = new Map<number, number>();
  const r = new Map<number, number>();
  for (let i = 0; i < links.length; i += 2) {
    const a = links[i]!;
    const b = links[i + 1]!;
    const line = lineNumbers[i / 2]!;
    if (l.has(a) && l.get(a) !== b) report.warning(file, line, `entity ${a} is linked to both ${l.get(a)} and ${b}`);
    else if (r.has(b) && r.get(b) !== a) report.warning(file, line, `entity ${b} is linked to both ${r.get(b)} and ${a}`);
    else if (l.has(a)) report.warning(file, line, `duplicate link ${a} ${b}`);
    l.set(a, b);
    r.set(b, a);
  }
}

/** DBP15K translated names: a JSON list of [id, [token, …]]; the name is the tokens joined by spaces.
 *  Streamed item by item (stream-json), so the file is never one string or one parsed tree. */
async function readNamesJson(path: string, sideOf: (id: number) => { side: Side; index: number } | undefined, sides: KgSide[], report: InputReport): Promise<void> {
  const file = basename(path);
  await requireRegularFile(path);
  // pipeline: a parse error destroys every stage, so the loop below throws it instead of hanging
  const items = pipeline(createReadStream(path), parser(), streamArray(), () => {});
  try {
    for await (const { key: i, value: item } of items as AsyncIterable<{ key: number; value: unknown }>) {
      const ok = Array.isArray(item) && typeof item[0] === 'number' && Array.isArray(item[1]);
      if (!ok) {
        report.error(file, null, `item ${i}: expected [id, [tokens…]]`);
        continue;
      }
      const [id, tokens] = item as [number, unknown[]];
      const w = sideOf(id);
      if (!w) {
        report.warning(file, null, `item ${i}: entity id ${id} is in neither graph`);
        continue;
      }
      const name = tokens.map(String).join(' ').trim();
      if (name.length === 0) continue;
      const s = sides[w.side - 1]!;
      s.names[w.index] = name;
      s.nameFromFile[w.index] = 1;
    }
  } catch (e) {
    report.error(file, null, `not a JSON list of [id, [tokens…]]: ${(e as Error).message}`);
  }
}
