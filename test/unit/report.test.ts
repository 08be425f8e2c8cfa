// The input report (engine/data/report.ts): its error count counts errors, and an error past the
// per-file cap (after a file's first hundred warnings) still refuses the input.
import { describe, expect, it } from 'vitest';
import { InputReport } from '../../src/engine/data/report';

describe('input report', () => {
  it('counts only errors as errors, listed or past the cap', () => {
    const r = new InputReport(3);
    for (let i = 1; i <= 5; i++) r.warning('a.tsv', i, 'odd');
    expect(r.errorCount).toBe(0); // 2 warnings past the cap are not errors
    expect(r.hasErrors).toBe(false);
    r.error('a.tsv', 6, 'broken'); // past the cap: not listed, still an error
    expect(r.errorCount).toBe(1);
    expect(r.hasErrors).toBe(true);
    r.error('b.tsv', 1, 'broken');
    expect(r.errorCount).toBe(2);
    expect(r.format()).toContain('a.tsv: 3 more problem(s) not listed');
  });
});
