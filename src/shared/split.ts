// A project's split in words, for the app's header and `mmea import`: what training will use, so a
// dataset without split files never reads as "0 seeds".
import type { ProjectSummary } from './types';

export function describeSplit(s: ProjectSummary['split']): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const how = s.source === 'files' ? "the dataset's own split" : `no split in the data: drawn at ${Math.round((s.rate ?? 0) * 1000) / 10} % of the known pairs, seed ${s.seed}`;
  return `${n(s.train)} seeds + ${n(s.valid)} for validation, ${n(s.test)} held out (${how})`;
}
