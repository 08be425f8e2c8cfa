// How long a round will train, shown before it starts. Once a round of the project has run, its own
// measured seconds per epoch (on the machine at hand) decide; before that, a linear model of the
// graph's size fitted to four measurements on our 2-core AMD EPYC machine, quiet, native kernels,
// HUMEA with the rounds' default settings (`mmea train --data D --epochs N --json`, secondsPerEpoch):
//                                        without names   with names from URIs
//   the demo (680 entities, 1,372 triples)    0.033 s          0.190 s   (--epochs 20)
//   FB15K–DB15K (27,793; 470,383)             1.27 s           1.66 s    (--epochs 6)
// per epoch = 0.028 + 2.49e-6 × (entities + triples), plus 0.151 + 8.6e-6 × entities with names
// (the name n-grams cost most on small graphs). A GPU workstation is faster and an older CPU
// slower: the text says which figure it rests on. Starting the engine, the features and the queue
// come on top (docs/benchmarks.md: the figures rerun, and the demo's round end to end).
import type { ProjectSummary, RoundInfo } from './types';

export interface RoundEstimate {
  seconds: number;
  /** where the figure comes from, in words */
  basis: string;
}

export function estimateRound(summary: Pick<ProjectSummary, 'graphs'>, epochs: number, rounds: RoundInfo[], names: boolean): RoundEstimate {
  const measured = [...rounds].reverse().find((r) => typeof r.secondsPerEpoch === 'number' && r.secondsPerEpoch > 0);
  if (measured) return { seconds: epochs * measured.secondsPerEpoch!, basis: `round ${measured.round}'s ${measured.secondsPerEpoch!.toFixed(2)} s per epoch on this machine` };
  const entities = summary.graphs.reduce((n, g) => n + g.entities, 0);
  const triples = summary.graphs.reduce((n, g) => n + g.triples, 0);
  const perEpoch = 0.028 + 2.49e-6 * (entities + triples) + (names ? 0.151 + 8.6e-6 * entities : 0);
  return { seconds: epochs * perEpoch, basis: `estimated from the graphs' size${names ? ' with names' : ''} (${perEpoch.toFixed(2)} s per epoch on a 2-core CPU; a GPU is faster)` };
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
