// Display helpers. Ages follow the service's rule: completed years between two UTC calendar
// dates, the birthday counting from 00:00 UTC of that day.

const MS_PER_DAY = 86_400_000;

/** The UTC calendar date of `ms` as the number yyyymmdd. */
function utcDateKey(ms) {
  const d = new Date(Math.floor(ms / MS_PER_DAY) * MS_PER_DAY);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Completed years from `birthMs` to `nowMs`, both read as UTC calendar dates. */
export function ageInYears(birthMs, nowMs) {
  return Math.floor((utcDateKey(nowMs) - utcDateKey(birthMs)) / 10_000);
}

const BIRTH_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A birth date as people write it, e.g. `18 May 1997` (the UTC calendar date). */
export function formatBirthDate(ms) {
  return BIRTH_DATE.format(ms);
}

/** A span of time, coarse: `42 s`, `5 min`, `3 h 10 min`, `2 d 4 h` (no line break before a unit). */
export function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}\u00a0s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min}\u00a0min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h}\u00a0h ${min % 60}\u00a0min`;
  return `${Math.floor(h / 24)}\u00a0d ${h % 24}\u00a0h`;
}

const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const DAY = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** An instant in the viewer's time zone: the time today, the date and time on another day. */
export function formatInstant(iso) {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? CLOCK.format(date) : `${DAY.format(date)}, ${CLOCK.format(date)}`;
}

/** A percentage with one decimal, or `—` without a base. */
export function formatShare(part, whole) {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '—';
}
