import { CSV_COLUMNS } from '../model.js';
import type { ParsedUser } from '../model.js';

/**
 * The rules a user's values obey whatever they were read from: a freshly parsed file, or a
 * snapshot (which is a cache, never an authority, so it is held to the same rules).
 */

/** C0 control characters other than tab, and DEL: never part of a name, always a hazard on a terminal or in a spreadsheet. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** The largest magnitude a JavaScript Date accepts. */
export const MAX_DATE_MS = 8_640_000_000_000_000;

/** Why `value` cannot be in a field called `field`, naming the code point, or `null`. */
export function controlProblem(field: string, value: string): string | null {
  const hit = CONTROL.exec(value);
  if (!hit) return null;
  const point = hit[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `${field} contains the control character U+${point}`;
}

/** Why the text fields of a parsed user (names, extra columns and their names) cannot be used, or `null`. */
export function textProblem(user: Pick<ParsedUser, 'first_name' | 'last_name' | 'extra'>): string | null {
  const problem = controlProblem('first_name', user.first_name) ?? controlProblem('last_name', user.last_name);
  if (problem) return problem;
  for (const name in user.extra) {
    const inName = controlProblem('a column name', name);
    if (inName) return inName;
    const inValue = controlProblem(`column ${JSON.stringify(name.slice(0, 40))}`, user.extra[name]!);
    if (inValue) return inValue;
  }
  return null;
}

/**
 * Why a value held as a parsed user could not have come from parsing a file, or `null`: the types,
 * non-empty trimmed names, a birth date JavaScript can represent, extra columns of text under names
 * other than the required ones, and `textProblem`.
 */
export function userProblem(user: unknown): string | null {
  const u = user as Partial<ParsedUser> | null;
  if (typeof u !== 'object' || u === null) return 'not a user';
  for (const field of ['first_name', 'last_name'] as const) {
    const value = u[field];
    if (typeof value !== 'string' || value === '' || value.trim() !== value) return `${field} is not a non-empty trimmed text`;
  }
  if (!Number.isSafeInteger(u.birthts) || Math.abs(u.birthts!) > MAX_DATE_MS) return 'birthts is not a representable timestamp';
  if (typeof u.extra !== 'object' || u.extra === null) return 'extra columns are not an object';
  for (const [name, value] of Object.entries(u.extra)) {
    if (typeof value !== 'string' || name === '' || name.trim() !== name || (CSV_COLUMNS as readonly string[]).includes(name))
      return 'an extra column is malformed';
  }
  return textProblem(u as ParsedUser);
}
