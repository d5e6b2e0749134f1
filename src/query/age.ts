/**
 * Age arithmetic on UTC calendar dates encoded as `yyyymmdd` integers. With both dates in that
 * form, completed years are `floor((today - birth) / 10_000)`: the month-day part decides whether
 * this year's birthday has come. Someone born on 29 February turns a year older on 1 March in
 * common years (0229 > 0228), and on the day itself in leap years.
 */

const MS_PER_DAY = 86_400_000;
/** One calendar year in `yyyymmdd` units. */
const YEAR_IN_DATE_KEY = 10_000;

/** The UTC calendar date of `ms` as the integer `yyyymmdd` (negative for years before 0). */
export function utcDateKey(ms: number): number {
  const d = new Date(Math.floor(ms / MS_PER_DAY) * MS_PER_DAY);
  return d.getUTCFullYear() * YEAR_IN_DATE_KEY + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Completed years between two date keys. */
export function yearsBetweenKeys(birthKey: number, todayKey: number): number {
  return Math.floor((todayKey - birthKey) / YEAR_IN_DATE_KEY);
}

/**
 * Completed years between a birth instant and `nowMs`, both read as UTC calendar dates: the
 * birthday counts from 00:00 UTC of that day, whatever the time of day in the timestamp.
 */
export function ageInYears(birthMs: number, nowMs: number): number {
  return yearsBetweenKeys(utcDateKey(birthMs), utcDateKey(nowMs));
}

/**
 * The range of birth date keys whose age today lies in [minAge, maxAge] (both optional,
 * inclusive). Follows from the floor formula: age >= m  ⇔  birth <= today - m·10⁴, and
 * age <= M  ⇔  birth > today - (M+1)·10⁴.
 */
export function birthKeyRange(todayKey: number, minAge?: number, maxAge?: number): { min: number; max: number } {
  return {
    min: maxAge === undefined ? -Infinity : todayKey - (maxAge + 1) * YEAR_IN_DATE_KEY + 1,
    max: minAge === undefined ? Infinity : todayKey - minAge * YEAR_IN_DATE_KEY,
  };
}
