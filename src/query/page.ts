import { InvalidInputError } from '../errors.js';
import type { UserFilters, UserRow } from '../model.js';
import { birthKeyRange } from './age.js';
import { naturalCompare } from './naturalCompare.js';
import { averageAge, type UserTable } from './table.js';

/** The most rows one page may hold. */
export const MAX_PAGE_ROWS = 10_000;

export interface PageOptions {
  /** Rows per page, from 1 to 10,000. */
  limit: number;
  /**
   * Start after the row with this `user_id`, in `user_id` order (digit runs by value). The user
   * need not exist any more. Default: from the first row.
   */
  after?: string;
}

export interface Page {
  /** At most `limit` matching rows, in `user_id` order (the cache's own objects: read-only). */
  rows: UserRow[];
  /** Rows matching the filters in the whole table. */
  total: number;
  /** Whether matching rows follow the last row of this page. */
  hasMore: boolean;
}

/** First position in `rows` (sorted by `naturalCompare`) whose `user_id` sorts after `after`. */
export function positionAfter(rows: readonly UserRow[], after: string): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (naturalCompare(rows[mid]!.user_id, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of the matching rows. Keyed by `user_id`, not by offset: following `after` from page to
 * page visits every user that exists throughout exactly once, whatever is added or removed in
 * between. Costs a binary search plus a scan of the typed columns from there, never a pass that
 * builds the whole result.
 */
export function selectPage(table: UserTable, filters: UserFilters, todayKey: number, options: PageOptions): Page {
  const { limit, after } = options;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_ROWS) {
    throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_PAGE_ROWS}, got ${String(limit)}`, { field: 'limit' });
  }
  if (after !== undefined && typeof after !== 'string') {
    throw new InvalidInputError(`after must be a user_id string, got ${String(after)}`, { field: 'after' });
  }
  // Also validates the filters; without a predicate the count comes from the birth index alone.
  const total = averageAge(table, filters, todayKey).count;
  const matches = rowMatcher(table, filters, todayKey);
  const rows: UserRow[] = [];
  const n = table.rows.length;
  let i = after === undefined ? 0 : positionAfter(table.rows, after);
  for (; i < n && rows.length < limit; i++) if (matches(i)) rows.push(table.rows[i]!);
  while (i < n && !matches(i)) i++;
  return { rows, total, hasMore: i < n };
}

/** Whether the row at a table position passes the filters, reading the typed columns first. */
function rowMatcher(table: UserTable, filters: UserFilters, todayKey: number): (position: number) => boolean {
  const { min, max } = birthKeyRange(todayKey, filters.minAge, filters.maxAge);
  const wantImage = filters.imageExists === undefined ? -1 : filters.imageExists ? 1 : 0;
  const { birthKeys, hasImage, rows } = table;
  const where = filters.where;
  return (i) => {
    const key = birthKeys[i]!;
    return key >= min && key <= max && (wantImage === -1 || hasImage[i] === wantImage) && (where === undefined || where(rows[i]!));
  };
}
