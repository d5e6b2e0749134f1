import { DEFAULT_COLUMNS, type UserRow } from '../model.js';

/** `"name":` of each default column, with the separators: written once, not per row. */
const KEYS = DEFAULT_COLUMNS.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c)}:`);

/**
 * One row as a JSON object of the default columns (extra CSV columns stay out), the same text
 * `JSON.stringify` gives for those fields, written field by field: no intermediate object per row.
 */
export function rowJson(row: UserRow): string {
  let json = '';
  for (let c = 0; c < DEFAULT_COLUMNS.length; c++) json += KEYS[c]! + JSON.stringify(row[DEFAULT_COLUMNS[c]!]);
  return `${json}}`;
}
