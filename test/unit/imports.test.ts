// The engine's import structure: no import cycles (a cycle made the load order decide which module
// saw an undefined binding), and the substrate (runtime/, nn/) never imports a model or the trainer,
// so a model is a folder that stands on it. Every relative import counts, type-only ones included.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'renderer' ? [] : sources(p);
    return /\.ts$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** The files each source imports (relative specifiers, static and dynamic, type-only included). */
function importGraph(): Map<string, string[]> {
  const files = sources(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const out: string[] = [];
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const base = resolve(dirname(f), m[1]!);
      const hit = [`${base}.ts`, join(base, 'index.ts')].find((c) => known.has(c));
      if (hit) out.push(hit);
    }
    graph.set(f, out);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(relative(SRC, w));
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('engine import structure', () => {
  const graph = importGraph();

  it('has no import cycles', () => {
    expect(graph.size).toBeGreaterThan(50); // the walk found the sources
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const g = new Map([
      ['/a.ts', ['/b.ts']],
      ['/b.ts', ['/c.ts']],
      ['/c.ts', ['/a.ts']],
      ['/d.ts', ['/a.ts']],
    ]);
    expect(cycles(g)).toHaveLength(1);
  });

  it('keeps the substrate (runtime/, nn/) free of models and training', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      const from = relative(SRC, f);
      if (!/^engine\/(runtime|nn)\//.test(from)) continue;
      // the kernel worker's task table is where the runtime runs model code on its threads
      for (const d of deps) {
        const to = relative(SRC, d);
        if (/^engine\/(models|training)\//.test(to) && !(from === 'engine/runtime/kernelWorker.ts' && to.startsWith('engine/models/'))) bad.push(`${from} → ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
