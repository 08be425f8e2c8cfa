// scratch diagnostic (not committed): which confidence separates right from wrong first candidates
import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { ensureFeatures } from '../../src/engine/features/store';
import { settingsWithSplit } from '../../src/engine/features/build';
import { Trainer, TRAIN_DEFAULTS } from '../../src/engine/model/train';
import { initBackend } from '../../src/engine/model/tf';
import { buildQueue } from '../../src/engine/curation/queue';
import { mulberry32 } from '../../src/engine/random';

it('diag', async () => {
  await initBackend('auto' as never);
  const { features: f } = await ensureFeatures('/work/sim-runs/names-value/project', settingsWithSplit({ validFraction: 0 }, true));
  const t = new Trainer(f, { ...TRAIN_DEFAULTS, epochs: Number.MAX_SAFE_INTEGER, iterative: 'off' });
  const test = f.split.test;
  const truth = new Map<number, number>();
  for (let i = 0; i < test.length; i += 2) truth.set(test[i]!, test[i + 1]!);
  // "round 5": 20 % of the test pairs confirmed (random)
  const rng = mulberry32(7);
  const conf: number[] = [];
  for (let i = 0; i < test.length; i += 2) if (rng() < 0.2) conf.push(test[i]!, test[i + 1]!);
  t.train = Int32Array.from([...f.split.train, ...f.split.valid, ...conf]);
  for (let e = 0; e < 250; e++) t.step();
  const aligned = new Uint8Array(f.rows);
  for (const r of t.train) aligned[r] = 1;
  const sources: number[] = [], targets: number[] = [];
  for (let r = 0; r < f.rows1; r++) if (!aligned[r]) sources.push(r);
  for (let r = f.rows1; r < f.rows; r++) if (!aligned[r]) targets.push(r);
  const q = buildQueue(t, { sources: Int32Array.from(sources), targets: Int32Array.from(targets), k: 5, aligned });
  const rowOf = new Map<number, number>(); f.rowIds.forEach((id, r) => rowOf.set(id, r));
  const rows = q.map((x) => ({ ...x, right: truth.get(rowOf.get(x.source)!) === rowOf.get(x.candidates[0]!.target) }));
  writeFileSync('/work/diag/queue.json', JSON.stringify(rows));
  const toFind = [...truth.keys()].filter((s) => !aligned[s]).length;
  console.log('items', rows.length, 'right', rows.filter((r) => r.right).length, 'toFind', toFind);
}, 3_600_000);
