import { DEFAULT_MAX_AGE_YEARS } from '../defaults.js';

/**
 * The rules a birth date obeys that depend on the clock: not in the future (to the millisecond),
 * and not more than `maxAgeYears` calendar years before `nowMs`. Returns why the date is
 * unacceptable, or `null`. Pure: the sync re-applies it on every run, so a date that was in the
 * future when first read becomes valid once that moment has passed, with no new download.
 */
export function checkBirthDate(birthts: number, nowMs: number, maxAgeYears = DEFAULT_MAX_AGE_YEARS): string | null {
  if (birthts > nowMs) return `birthts ${birthts} is in the future (${new Date(birthts).toISOString()})`;
  if (birthts < oldestBirthMs(nowMs, maxAgeYears)) return `birthts ${birthts} is more than ${maxAgeYears} years ago`;
  return null;
}

/** The last bound computed: a sync checks a million dates against one clock reading. */
let lastBound = { nowMs: NaN, maxAgeYears: NaN, oldestMs: NaN };

/** The earliest birth instant still accepted at `nowMs`: the same moment `maxAgeYears` calendar years back. */
export function oldestBirthMs(nowMs: number, maxAgeYears = DEFAULT_MAX_AGE_YEARS): number {
  if (lastBound.nowMs !== nowMs || lastBound.maxAgeYears !== maxAgeYears) {
    const oldest = new Date(nowMs);
    oldest.setUTCFullYear(oldest.getUTCFullYear() - maxAgeYears);
    lastBound = { nowMs, maxAgeYears, oldestMs: oldest.getTime() };
  }
  return lastBound.oldestMs;
}
