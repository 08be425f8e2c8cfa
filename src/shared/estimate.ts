// How long a round will train, shown before it starts. Once a round of the project has run, its own
// measured seconds per epoch (on the machine at hand) decide; before that, a linear model of the
// graph's size (entities + triples) fitted to two measurements on our 2-core AMD EPYC machine with
// the native kernels (HUMEA, the rounds' default settings):
//   FB15K–DB15K (27,793 entities, 470,383 triples): 2.34 s/epoch
//     (`mmea train --data ../shared/data/mmkb/FB15K_DB15K_partialFB --epochs 6 --json`, secondsPerEpoch)
//   the demo (680 entities, 1,372 triples): ~0.04 s/epoch (its first round's 40 epochs in the e2e suite)
// A GPU workstation is faster and an older CPU slower: the text says which figure it rests on.
import type { ProjectSummary, RoundInfo } from './types';

const FIXED_SECONDS = 0.03;
const SECONDS_PER_UNIT = 4.6e-6;

export interface RoundEstimate {
  seconds: number;
  /** where the figure comes from, in words */
  basis: string;
}

export function estimateRound(summary: Pick<ProjectSummary, 'graphs'>, epochs: number, rounds: RoundInfo[]): RoundEstimate {
  const measured = [...rounds].reverse().find((r) => typeof r.secondsPerEpoch === 'number' && r.secondsPerEpoch > 0);
  if (measured) return { seconds: epochs * measured.secondsPerEpoch!, basis: `round ${measured.round}'s ${measured.secondsPerEpoch!.toFixed(2)} s per epoch on this machine` };
  const units = summary.graphs.reduce((n, g) => n + g.entities + g.triples, 0);
  const perEpoch = FIXED_SECONDS + SECONDS_PER_UNIT * units;
  return { seconds: epochs * perEpoch, basis: `estimated from the graphs' size (${perEpoch.toFixed(2)} s per epoch on a 2-core CPU; a GPU is faster)` };
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
