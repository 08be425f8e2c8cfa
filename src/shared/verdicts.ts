// Curation verdicts as they cross the contract (renderer → main) and enter the project's journal
// (engine/curation/journal.ts). Entities are named by URI: KG1 source, KG2 target.
import { z } from 'zod';
import { TIERS } from './curation';

export const VERDICTS = ['confirm', 'reject', 'none', 'skip'] as const;
export const NOTE_LIMIT = 10_000;
export type Verdict = (typeof VERDICTS)[number];

/** What a client sends: a verdict on (source, target), or `clear` to withdraw the one on that key.
 *  confirm / reject are about a pair; none (no counterpart) and skip about a source (target null). */
export const VerdictInput = z
  .object({
    op: z.enum(['set', 'clear']).default('set'),
    source: z.string().min(1),
    target: z.string().min(1).nullable().default(null),
    verdict: z.enum(VERDICTS).optional(),
    curator: z.string().default(''),
    round: z.number().int().min(0).default(0),
    score: z.number().nullable().default(null),
    /** a curator's note (10,000 characters at most: a journal line stays a line) */
    note: z.string().max(NOTE_LIMIT).nullable().default(null),
    /** manual: a curator's verdict; threshold: the model's first candidate accepted above a
     *  threshold calibrated on the curator's verdicts (exported as such) */
    justification: z.enum(['manual', 'threshold']).default('manual'),
    /** threshold only: the estimated chance the pair is wrong when it was accepted (1 − its tier's
     *  precision bound): later acceptances count it against the delivered set's error budget */
    risk: z.number().min(0).max(1).optional(),
    /** threshold only: the tier it was accepted in. That tier's audits given before it no longer
     *  stand for its open items (they sampled the part this acceptance took), so its next
     *  acceptance rests on audits given after it (engine/curation/accept.ts). */
    tier: z.enum(TIERS).optional(),
    /** given in audit order (a uniform sample of the acceptable items: mutual bests, name anchors): such a confirmation is
     *  held out of training and, with the other audit verdicts, calibrates the accept threshold */
    audit: z.boolean().optional(),
    /** confirm only: withdraw the standing confirmations this one breaks under 1-to-1 (written as
     *  clears just before it). Without it such a confirm is refused, naming the standing pair. */
    replace: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.op === 'set' && !v.verdict) ctx.addIssue({ code: 'custom', message: 'a set needs a verdict' });
    if (v.op === 'set' && (v.verdict === 'confirm' || v.verdict === 'reject') && v.target === null) ctx.addIssue({ code: 'custom', message: `${v.verdict} needs a target` });
    if (v.op === 'set' && (v.verdict === 'none' || v.verdict === 'skip') && v.target !== null) ctx.addIssue({ code: 'custom', message: `${v.verdict} is about a source: no target` });
    if (v.replace && (v.op !== 'set' || v.verdict !== 'confirm')) ctx.addIssue({ code: 'custom', message: 'replace goes with a confirm' });
  });
export type VerdictInput = z.input<typeof VerdictInput>;

/** A verdict as recorded: the input with its sequence number in the journal and its time. */
export const VerdictEntry = z.object({ seq: z.number().int().min(1), at: z.string() }).and(VerdictInput);
export type VerdictEntry = z.output<typeof VerdictEntry>;

/** The key a verdict is stored under: the pair for confirm/reject, the source alone for none/skip. */
export function keyOf(source: string, target: string | null): string {
  return target === null ? source : `${source}\t${target}`;
}
