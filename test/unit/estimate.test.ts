// The round-time estimate shown before a round starts (shared/estimate.ts): its size model gives back
// the measurements it was fitted to, and a round measured on the machine at hand takes precedence.
import { describe, expect, it } from 'vitest';
import { estimateRound, formatDuration } from '../../src/shared/estimate';
import type { GraphSummary, RoundInfo } from '../../src/shared/types';

const graphs = (e1: number, t1: number, e2: number, t2: number) =>
  [
    { side: 1, entities: e1, triples: t1 },
    { side: 2, entities: e2, triples: t2 },
  ] as GraphSummary[];

describe('round time estimate', () => {
  it.each([
    { name: 'demo', g: graphs(340, 827, 340, 545), names: false, measured: 0.033 },
    { name: 'demo, names', g: graphs(340, 827, 340, 545), names: true, measured: 0.19 },
    { name: 'FB15K–DB15K', g: graphs(14951, 381186, 12842, 89197), names: false, measured: 1.27 },
    { name: 'FB15K–DB15K, names', g: graphs(14951, 381186, 12842, 89197), names: true, measured: 1.66 },
  ])('gives back the measured s/epoch of $name within 10 %', ({ g, names, measured }) => {
    const e = estimateRound({ graphs: g as [GraphSummary, GraphSummary] }, 100, [], names);
    expect(e.seconds / 100).toBeGreaterThan(measured * 0.9);
    expect(e.seconds / 100).toBeLessThan(measured * 1.1);
    expect(e.basis).toMatch(/estimated from the graphs' size/);
  });

  it('takes the last measured round on this machine when there is one', () => {
    const rounds = [{ round: 1, secondsPerEpoch: 0.5 }, { round: 2, secondsPerEpoch: 0.25 }, { round: 3 }] as RoundInfo[];
    expect(estimateRound({ graphs: graphs(1, 1, 1, 1) as [GraphSummary, GraphSummary] }, 40, rounds, true)).toEqual({ seconds: 10, basis: "round 2's 0.25 s per epoch on this machine" });
    expect([formatDuration(10), formatDuration(600), formatDuration(9000)]).toEqual(['10 s', '10 min', '2.5 h']);
  });
});
