import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageInYears, birthKeyRange, utcDateKey } from '../../src/query/age.js';

const at = (iso: string) => Date.parse(iso);

/** Reference: completed years by comparing calendar fields one by one. */
function referenceAge(birthMs: number, nowMs: number): number {
  const b = new Date(birthMs);
  const n = new Date(nowMs);
  let years = n.getUTCFullYear() - b.getUTCFullYear();
  const beforeBirthday = n.getUTCMonth() < b.getUTCMonth() || (n.getUTCMonth() === b.getUTCMonth() && n.getUTCDate() < b.getUTCDate());
  if (beforeBirthday) years--;
  return years;
}

const instant = fc.integer({ min: Date.UTC(1800, 0, 1), max: Date.UTC(2200, 0, 1) });

describe('ageInYears', () => {
  it('counts a birthday only once it has come this year', () => {
    const birth = at('1990-06-15T12:00:00Z');
    expect(ageInYears(birth, at('2026-06-14T23:59:59Z'))).toBe(35);
    expect(ageInYears(birth, at('2026-06-15T00:00:00Z'))).toBe(36);
    expect(ageInYears(birth, at('2026-12-31T00:00:00Z'))).toBe(36);
  });

  it('reads timestamps as UTC dates: 946674000000 is 31 Dec 1999 in UTC', () => {
    expect(ageInYears(946_674_000_000, at('2025-12-31T00:00:00Z'))).toBe(26);
    expect(ageInYears(946_674_000_000, at('2025-12-30T23:59:59Z'))).toBe(25);
  });

  it('ages someone born on 29 February on 1 March in common years and on the day in leap years', () => {
    const leapling = at('2000-02-29T00:00:00Z');
    expect(ageInYears(leapling, at('2027-02-28T12:00:00Z'))).toBe(26);
    expect(ageInYears(leapling, at('2027-03-01T00:00:00Z'))).toBe(27);
    expect(ageInYears(leapling, at('2028-02-28T00:00:00Z'))).toBe(27);
    expect(ageInYears(leapling, at('2028-02-29T00:00:00Z'))).toBe(28);
  });

  it('handles births before 1970', () => {
    expect(ageInYears(at('1931-03-02T00:00:00Z'), at('2026-03-01T00:00:00Z'))).toBe(94);
  });

  it('agrees with a field-by-field reference for any pair of dates', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        const [birth, now] = a <= b ? [a, b] : [b, a];
        expect(ageInYears(birth, now)).toBe(referenceAge(birth, now));
      }),
      { numRuns: 5_000 },
    );
  });

  it('never decreases as time passes', () => {
    fc.assert(
      fc.property(instant, instant, fc.integer({ min: 0, max: 5e10 }), (birth, now, later) => {
        expect(ageInYears(birth, now + later)).toBeGreaterThanOrEqual(ageInYears(birth, now));
      }),
    );
  });
});

describe('birthKeyRange', () => {
  it('selects exactly the birth dates whose age is within [min, max]', () => {
    const ages = fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined });
    fc.assert(
      fc.property(instant, instant, ages, ages, (birth, now, min, max) => {
        const { min: lo, max: hi } = birthKeyRange(utcDateKey(now), min, max);
        const key = utcDateKey(birth);
        const age = ageInYears(birth, now);
        const expected = (min === undefined || age >= min) && (max === undefined || age <= max);
        expect(key >= lo && key <= hi).toBe(expected);
      }),
      { numRuns: 5_000 },
    );
  });
});
