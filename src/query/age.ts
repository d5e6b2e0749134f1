/**
 * Age arithmetic on calendar dates encoded as `yyyymmdd` integers, in UTC or in a chosen time zone. With both dates in that
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

/** Maps an instant (ms since the epoch) to its calendar date key in some time zone. */
export type DateKeyFn = (ms: number) => number;

/**
 * The calendar date of an instant in `timeZone` (an IANA name such as `Europe/Moscow`), with the
 * zone's historical offsets as the platform's time-zone database knows them (`Intl`). `UTC` takes
 * a fast path with no `Intl` call. Throws `RangeError` for a zone `Intl` does not know.
 */
export function dateKeyIn(timeZone: string): DateKeyFn {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return utcDateKey;
  const format = new Intl.DateTimeFormat('en-US', { timeZone, era: 'short', year: 'numeric', month: 'numeric', day: 'numeric' });
  return (ms) => {
    let year = 0;
    let month = 0;
    let day = 0;
    let beforeCommonEra = false;
    for (const part of format.formatToParts(ms)) {
      if (part.type === 'year') year = Number(part.value);
      else if (part.type === 'month') month = Number(part.value);
      else if (part.type === 'day') day = Number(part.value);
      else if (part.type === 'era') beforeCommonEra = part.value === 'BC';
    }
    // Astronomical numbering, as `getUTCFullYear` uses: 1 BC is year 0.
    return (beforeCommonEra ? 1 - year : year) * YEAR_IN_DATE_KEY + month * 100 + day;
  };
}

/** Checks a time-zone name; returns the canonical name or throws `RangeError`. */
export function checkTimeZone(timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
}

/**
 * Completed years between a birth instant and `nowMs`, both read as calendar dates in
 * `timeZone` (default UTC): the birthday counts from 00:00 of that day in the zone, whatever the
 * time of day in the timestamp.
 */
export function ageInYears(birthMs: number, nowMs: number, timeZone = 'UTC'): number {
  const key = dateKeyIn(timeZone);
  return yearsBetweenKeys(key(birthMs), key(nowMs));
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
