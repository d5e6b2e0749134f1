import { birthKeyRange, yearsBetweenKeys } from './age.js';
import { ageCounts, ageTotals, buildBirthIndex, keyRange, type BirthIndex } from './birthIndex.js';
import type { UserFilters, UserRow } from '../model.js';
import { validateFilters } from './filters.js';

/**
 * An immutable, query-ready view of the cache: rows in `user_id` order with their birth dates and
 * image flags in parallel typed arrays, so the ready-made filters scan numbers, not objects.
 */
export interface UserTable {
  readonly rows: readonly UserRow[];
  readonly birthKeys: Float64Array;
  readonly hasImage: Uint8Array;
  readonly byBirth: BirthIndex;
  /** Increases whenever the content changes; lets callers cache derived results. */
  readonly version: number;
}

export const EMPTY_TABLE: UserTable = {
  rows: [],
  birthKeys: new Float64Array(0),
  hasImage: new Uint8Array(0),
  byBirth: buildBirthIndex(new Float64Array(0), new Uint8Array(0)),
  version: 0,
};
/** Above this share of the table, an index lookup plus a sort costs more than one scan. */
const INDEX_SELECTIVITY = 1 / 8;

/** The ready-made filters as a span of the birth index plus an image flag (-1: either). */
function resolveFilters(table: UserTable, filters: UserFilters, todayKey: number) {
  validateFilters(filters);
  const { min, max } = birthKeyRange(todayKey, filters.minAge, filters.maxAge);
  const wantImage: -1 | 0 | 1 = filters.imageExists === undefined ? -1 : filters.imageExists ? 1 : 0;
  return { min, max, wantImage, ...keyRange(table.byBirth, min, max) };
}

/** Positions in `table.rows` of the rows that match on the day `todayKey` (`yyyymmdd`), in table order. */
export function selectRows(table: UserTable, filters: UserFilters, todayKey: number): number[] {
  const { min, max, wantImage, start, end } = resolveFilters(table, filters, todayKey);
  if (!filters.where && end - start <= table.rows.length * INDEX_SELECTIVITY) {
    const picked: number[] = [];
    for (let p = start; p < end; p++) {
      const i = table.byBirth.order[p]!;
      if (wantImage === -1 || table.hasImage[i] === wantImage) picked.push(i);
    }
    return picked.sort((a, b) => a - b);
  }
  return scanRows(table, min, max, wantImage, filters.where);
}

function scanRows(table: UserTable, min: number, max: number, wantImage: number, where: UserFilters['where']): number[] {
  const { birthKeys, hasImage, rows } = table;
  const selected: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const key = birthKeys[i]!;
    if (key < min || key > max) continue;
    if (wantImage !== -1 && hasImage[i] !== wantImage) continue;
    if (where && !where(rows[i]!)) continue;
    selected.push(i);
  }
  return selected;
}

/** Mean age in completed years of the matching rows, `null` when none match. */
export function averageAge(table: UserTable, filters: UserFilters, todayKey: number): { averageAge: number | null; count: number } {
  let count: number;
  let sum = 0;
  if (filters.where) {
    const selected = selectRows(table, filters, todayKey);
    for (const i of selected) sum += yearsBetweenKeys(table.birthKeys[i]!, todayKey);
    count = selected.length;
  } else {
    const { wantImage, start, end } = resolveFilters(table, filters, todayKey);
    ({ count, sum } = ageTotals(table.byBirth, start, end, todayKey, wantImage));
  }
  return { averageAge: count === 0 ? null : sum / count, count };
}

/** Matching users per completed year of age, youngest first; only ages someone has. */
export function ageHistogram(table: UserTable, filters: UserFilters, todayKey: number): { age: number; count: number }[] {
  if (!filters.where) {
    const { wantImage, start, end } = resolveFilters(table, filters, todayKey);
    return ageCounts(table.byBirth, start, end, todayKey, wantImage);
  }
  const counts = new Map<number, number>();
  for (const i of selectRows(table, filters, todayKey)) {
    const age = yearsBetweenKeys(table.birthKeys[i]!, todayKey);
    counts.set(age, (counts.get(age) ?? 0) + 1);
  }
  return [...counts].map(([age, count]) => ({ age, count })).sort((a, b) => a.age - b.age);
}
