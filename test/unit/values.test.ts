// Attribute values compared by kind (shared/values.ts), as the evidence table marks them = or ≠.
import { describe, expect, it } from 'vitest';
import { bareValue, kindOf, REAL_TOLERANCE, sameValue } from '../../src/shared/values';

describe('attribute values compared by their kind', () => {
  it('never equates a real with a different year (the reported 1949.33 "=" 1969)', () => {
    expect(sameValue('1949.33', '1969')).toMatchObject({ same: false, rule: `real, within ${REAL_TOLERANCE * 100} %` });
    expect(sameValue('1949', '1969').same).toBe(false);
  });

  it('compares years, dates and integers exactly', () => {
    expect(sameValue('1969', '1969')).toEqual({ same: true, rule: 'integer, exactly' });
    expect(sameValue('1000001', '1000000').same).toBe(false); // 1 ppm apart: still different
    expect(sameValue('"1969-07-20"^^<http://www.w3.org/2001/XMLSchema#date>', '1969-07-20')).toEqual({ same: true, rule: 'date, exactly' });
    expect(sameValue('1969-07-20', '1969-07-21').same).toBe(false);
    expect(sameValue('1969', '1969-07-20')).toEqual({ same: true, rule: 'year, exactly' }); // a year against a date: the year
    expect(sameValue('1968', '1969-07-20').same).toBe(false);
    expect(sameValue('9007199254740993', '9007199254740992').same).toBe(false); // beyond double precision
  });

  it('compares reals within the stated tolerance', () => {
    expect(sameValue('12.5', '12.52').same).toBe(true);
    expect(sameValue('12.5', '12.6').same).toBe(false);
    expect(sameValue('"1.5e3"^^xsd:double', '1500').same).toBe(true);
    expect(sameValue('0', '0.0').same).toBe(true);
  });

  it('compares text ignoring case, and never calls an empty value equal', () => {
    expect(sameValue('"Paris"@en', 'paris')).toEqual({ same: true, rule: 'text, ignoring case' });
    expect(sameValue('Paris', 'Lyon').same).toBe(false);
    expect(sameValue('', '').same).toBe(false);
    expect(sameValue(null, 'x').same).toBe(false);
  });

  it('reads the literal forms the importers produce', () => {
    expect(bareValue('"12.5"^^<http://www.w3.org/2001/XMLSchema#double>')).toBe('12.5');
    expect(bareValue(' "x y"@fr ')).toBe('x y');
    expect(kindOf('1969-07-20')).toBe('date');
    expect(kindOf('-42')).toBe('integer');
    expect(kindOf('3.25')).toBe('real');
    expect(kindOf('3.25 m')).toBe('text');
  });
});
