// Fixtures of the acceptance tests (accept-tiers, audit-plan): entity URIs, a queue item with one
// candidate, and journal confirmations with rising sequence numbers.
import type { QueueItem } from '../../src/shared/curation';
import type { VerdictEntry } from '../../src/shared/verdicts';

export const uri = (id: number) => `e${id}`;

/** Source `source`, its one candidate 10000 + source (an exact-name anchor when `anchor`), the
 *  model's confidence both ways `confidence`. */
export function oneCandidate(source: number, confidence: number, anchor = false): QueueItem {
  return {
    source,
    candidates: [{ target: 10000 + source, score: 0.9, cosine: 0.9, modalities: {}, ...(anchor && { sameName: 'exact' as const }) }],
    margin: confidence,
    reverseMargin: confidence,
    confidence,
    impact: 0,
    disagreement: 0,
    value: 0,
  };
}

/** A journal's confirmations, in order: confirm(source, target, extra) is a curator's, numbered after
 *  the last one; `extra` overrides (audit, curator and justification of an acceptance, its risk…). */
export function confirmations(): (source: number, target: number, extra?: Partial<VerdictEntry>) => VerdictEntry {
  let seq = 0;
  return (source, target, extra = {}) => ({
    seq: ++seq,
    at: '',
    op: 'set',
    source: uri(source),
    target: uri(target),
    verdict: 'confirm',
    curator: 'c',
    round: 1,
    score: null,
    note: null,
    justification: 'manual',
    ...extra,
  });
}
