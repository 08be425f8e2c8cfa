import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIdFormat } from '../../src/engine/data/idFormat';
import { Project, PROJECT_FORMAT, writeProject } from '../../src/engine/data/project';
import { InputReport } from '../../src/engine/data/report';
import { settingsWithSplit } from '../../src/engine/features/build';
import { ensureFeatures } from '../../src/engine/features/store';
import { importJob } from '../../src/engine/jobs/import';
import { DEMO_DATASET, tempDir } from '../helpers';

// A hand-made pair: KG1 is a path a-b-c-d plus an isolated e; KG2 mirrors a-b-c.
const files: Record<string, string> = {
  ent_ids_1: '0\t<http://x/a>\n1\t<http://x/b>\n2\t<http://x/c>\n3\t<http://x/d>\n4\t<http://x/e>\n',
  ent_ids_2: '10\t<http://y/A>\n11\t<http://y/B>\n12\t<http://y/C>\n',
  rel_ids_1: '0\tnext\n1\tpart_of\n',
  triples_1: '0\t0\t1\n1\t0\t2\n2\t0\t3\n2\t1\t0\n',
  triples_2: '10\t0\t11\n11\t0\t12\n',
  ill_ent_ids: '0\t10\n1\t11\n2\t12\n',
  sup_ent_ids: '0\t10\n',
  attr_triples_1: '<http://x/a>\tsize\t3.5\n',
  training_attrs_1: '<http://x/a>\tsize\tcolour\n',
};

describe('project store', () => {
  const tmp = tempDir();
  let project: Project;
  beforeAll(async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(src, f), text);
    const pair = await readIdFormat(src, new InputReport());
    const dir = join(tmp.path, 'project');
    await writeProject(dir, pair!, {
      format: PROJECT_FORMAT,
      version: 1,
      name: 'tiny',
      createdAt: new Date(0).toISOString(),
      source: { path: src, format: 'ids' },
    });
    project = await Project.open(dir);
  });
  afterAll(tmp.cleanup);

  it('summarises both graphs', () => {
    const s = project.summary();
    expect(s.name).toBe('tiny');
    expect(s.graphs[0]).toMatchObject({ entities: 5, triples: 4, relations: 2, attributeNames: 2, attributeValues: 1 });
    expect(s.graphs[1]).toMatchObject({ entities: 3, triples: 2 });
    expect(s.links).toEqual({ total: 3, train: 1, test: 2 });
    expect(s.split).toEqual({ source: 'files', rate: null, seed: 42, train: 1, valid: 0, test: 2 }); // a tenth of one pair rounds to none
  });

  it('gives the 1-hop and 2-hop neighbourhoods with the edges among them', () => {
    const one = project.neighbourhood(0, 1, 100);
    expect(one.nodes.map((n) => n.id).sort()).toEqual([0, 1, 2]);
    expect(one.edges).toEqual(
      expect.arrayContaining([
        { source: 0, target: 1, relation: 'next' },
        { source: 1, target: 2, relation: 'next' },
        { source: 2, target: 0, relation: 'part_of' },
      ]),
    );
    expect(one.edges).toHaveLength(3);
    const two = project.neighbourhood(0, 2, 100);
    expect(two.nodes.find((n) => n.id === 3)?.hop).toBe(2);
    expect(two.truncated).toBe(false);
    const capped = project.neighbourhood(0, 2, 2);
    expect(capped.nodes).toHaveLength(2);
    expect(capped.truncated).toBe(true);
  });

  it('marks training seeds and their counterparts', () => {
    expect(project.entity(0).seedCounterpart).toBe(10);
    expect(project.entity(10).seedCounterpart).toBe(0);
    expect(project.entity(1).seedCounterpart).toBeNull();
  });

  it('lists entities by degree and searches labels', () => {
    const all = project.entities(1, undefined, 0, 10);
    expect(all.total).toBe(5);
    expect(all.items[0]!.label).toBe('c'); // degree 3
    expect(project.entities(1, 'E', 0, 10).items.map((e) => e.label)).toEqual(['e']);
    expect(project.entities(2, 'nothing', 0, 10).total).toBe(0);
  });

  it('keeps attribute values and value-less attribute names', () => {
    expect(project.entity(0).attributes).toEqual([
      { name: 'size', value: '3.5' },
      { name: 'colour', value: null },
    ]);
  });

  it('refuses an unknown entity and a folder that is not a project', async () => {
    expect(() => project.entity(999)).toThrow(/no entity with id 999/);
    await expect(Project.open(tmp.path)).rejects.toThrow(/not a project folder/);
  });
});

describe('the split a project shows is the split training draws', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);
  const dataset = (withSplit: boolean) => {
    const src = join(tmp.path, withSplit ? 'split' : 'nosplit');
    cpSync(DEMO_DATASET, src, { recursive: true });
    if (!withSplit) for (const f of ['sup_ent_ids', 'dev_ent_ids']) rmSync(join(src, f));
    return src;
  };
  const ctx = (jobId: string) => ({ jobId, signal: new AbortController().signal, progress: () => {} });

  it.each([
    { withSplit: false, seedRate: 0.3, expected: { source: 'seeded', rate: 0.3, train: 81, valid: 9, test: 210 } },
    { withSplit: false, seedRate: undefined, expected: { source: 'seeded', rate: 0.2, train: 54, valid: 6, test: 240 } },
    { withSplit: true, seedRate: 0.3, expected: { source: 'files', rate: null, train: 54, valid: 6, test: 240 } }, // the files win
  ])('split files $withSplit, seed rate $seedRate', async ({ withSplit, seedRate, expected }) => {
    const project = join(tmp.path, `p-${withSplit}-${seedRate}`);
    await importJob({ source: dataset(withSplit), project, seedRate }, ctx(`split-${withSplit}-${seedRate}`));
    const p = await Project.open(project);
    expect(p.summary().split).toEqual({ ...expected, seed: 42 });
    // what training (the round job's settings) draws: the same sizes, and a cached build, not a rebuild
    const { features, cached } = await ensureFeatures(project, settingsWithSplit({ seedRate: p.manifest.seedRate }));
    expect(cached).toBe(true);
    expect({ train: features.split.train.length / 2, valid: features.split.valid.length / 2, test: features.split.test.length / 2, source: features.split.source }).toEqual({
      train: expected.train,
      valid: expected.valid,
      test: expected.test,
      source: expected.source,
    });
  });
});
