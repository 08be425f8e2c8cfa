// Attribute values compared by their kind, for the evidence's side-by-side table: a "=" there is a
// claim the curator acts on, so it must not equate 1949.33 with 1969. Dates and years, and integers,
// compare exactly; reals within REAL_TOLERANCE of the larger magnitude; anything else as
// case-folded text. Our own code: a few rules over the literal forms our importers produce
// ("1949", "1949-05-01", "\"12.5\"^^xsd:double", plain text).

/** relative tolerance for real numbers: values that differ by no more than this fraction of the
 *  larger one are shown as equal (rounding, units printed to different precision) */
export const REAL_TOLERANCE = 0.005;

export type ValueKind = 'date' | 'integer' | 'real' | 'text';

/** A literal without its quotes, datatype or language tag, trimmed. */
export function bareValue(v: string | null): string {
  return (v ?? '')
    .trim()
    .replace(/^"(.*)"(\^\^\S+|@[\w-]+)?$/s, '$1')
    .trim();
}

const DATE = /^(-?\d{1,4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.]+Z?)?$/;
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function kindOf(bare: string): ValueKind {
  if (/^-?\d{4}-\d{2}(-\d{2})?/.test(bare) && DATE.test(bare)) return 'date';
  if (INTEGER.test(bare)) return 'integer';
  if (REAL.test(bare.replace(/,/g, ''))) return 'real';
  return 'text';
}

/** Whether two attribute values state the same thing, and by which rule. */
export function sameValue(a: string | null, b: string | null): { same: boolean; rule: string } {
  const x = bareValue(a);
  const y = bareValue(b);
  if (x === '' || y === '') return { same: false, rule: 'empty' };
  const kx = kindOf(x);
  const ky = kindOf(y);
  // a year against a full date: the years must agree, the finer part is not known on one side
  if ((kx === 'date' || kx === 'integer') && (ky === 'date' || ky === 'integer') && (kx === 'date' || ky === 'date')) {
    const dx = DATE.exec(x);
    const dy = DATE.exec(y);
    if (dx && dy) {
      const parts = Math.min(dx.slice(1).filter(Boolean).length, dy.slice(1).filter(Boolean).length);
      return { same: dx.slice(1, 1 + parts).every((p, i) => Number(p) === Number(dy[1 + i])), rule: parts === 1 ? 'year, exactly' : 'date, exactly' };
    }
  }
  if (kx === 'integer' && ky === 'integer') return { same: BigInt(x.replace(/^\+/, '')) === BigInt(y.replace(/^\+/, '')), rule: 'integer, exactly' };
  if ((kx === 'integer' || kx === 'real') && (ky === 'integer' || ky === 'real')) {
    const u = Number(x.replace(/,/g, ''));
    const v = Number(y.replace(/,/g, ''));
    return { same: Math.abs(u - v) <= REAL_TOLERANCE * Math.max(Math.abs(u), Math.abs(v)), rule: `real, within ${REAL_TOLERANCE * 100} %` };
  }
  return { same: x.toLowerCase() === y.toLowerCase(), rule: 'text, ignoring case' };
}
