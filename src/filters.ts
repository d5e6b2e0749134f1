import { ageInYears } from './age.js';
import type { UserRow } from './model.js';

/** A condition over a row, for `UserFilters.where`. */
export type RowPredicate = (row: Readonly<UserRow>) => boolean;

/** Rows with an image (`true`) or without one (`false`). */
export function imageExists(expected = true): RowPredicate {
  return (row) => (row.img_path !== null) === expected;
}

/** Rows whose age in completed years at `nowMs` lies in [min, max]; either bound may be omitted. */
export function ageBetween(min: number | undefined, max: number | undefined, nowMs: number = Date.now()): RowPredicate {
  return (row) => {
    const age = ageInYears(row.birthts, nowMs);
    return (min === undefined || age >= min) && (max === undefined || age <= max);
  };
}

/** Rows matching every predicate. */
export function allOf(...predicates: RowPredicate[]): RowPredicate {
  return (row) => predicates.every((p) => p(row));
}
