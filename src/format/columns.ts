import { InvalidInputError } from '../errors.js';
import { DEFAULT_COLUMNS, type BaseColumn, type UserRow } from '../model.js';

const BASE = new Set<string>(DEFAULT_COLUMNS);

/** Checks a column list against the table; throws naming the unknown columns and the known ones. */
export function resolveColumns(columns: readonly string[] | undefined, rows: readonly UserRow[]): readonly string[] {
  if (columns === undefined) return DEFAULT_COLUMNS;
  if (columns.length === 0) throw new InvalidInputError('columns must name at least one column');
  const extras = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row.extra)) extras.add(name);
  const unknown = columns.filter((c) => !BASE.has(c) && !extras.has(c));
  if (unknown.length > 0) {
    const known = [...DEFAULT_COLUMNS, ...[...extras].sort()];
    throw new InvalidInputError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; available: ${known.join(', ')}`);
  }
  return columns;
}

/** One cell of a row: base fields by name, anything else from the extra columns (`null` if absent). */
export function cell(row: UserRow, column: string): string | number | null {
  return BASE.has(column) ? row[column as BaseColumn] : (row.extra[column] ?? null);
}

/** A plain object with just the chosen columns, in order. */
export function project(row: UserRow, columns: readonly string[]): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const c of columns) out[c] = cell(row, c);
  return out;
}
