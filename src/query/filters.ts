import { InvalidInputError } from '../errors.js';
import type { UserFilters } from '../model.js';

/**
 * What the caller calls each filter, for messages: the HTTP API says `min_age`, the command line
 * `--min-age`. Filters not named are called by their library names.
 */
export type FilterNames = Partial<Readonly<Record<keyof UserFilters, string>>>;

/**
 * The rules every filter obeys, in one place: the library checks them on every query, and the HTTP
 * API and the command line check their parsed input with them, in their own names. Throws
 * `InvalidInputError` whose `field` and message use those names.
 */
export function validateFilters(filters: UserFilters, names: FilterNames = {}): void {
  const name = (field: keyof UserFilters) => names[field] ?? field;
  const fail = (field: keyof UserFilters, message: string) => new InvalidInputError(message, { code: 'invalid_parameter', field: name(field) });
  for (const field of ['minAge', 'maxAge'] as const) {
    const value = filters[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw fail(field, `${name(field)} must be a non-negative integer such as 30, got ${String(value)}`);
    }
  }
  if (filters.minAge !== undefined && filters.maxAge !== undefined && filters.minAge > filters.maxAge) {
    throw fail('minAge', `${name('minAge')} (${filters.minAge}) must not be greater than ${name('maxAge')} (${filters.maxAge})`);
  }
  if (filters.imageExists !== undefined && typeof filters.imageExists !== 'boolean') {
    throw fail('imageExists', `${name('imageExists')} must be true or false, got ${String(filters.imageExists)}`);
  }
  if (filters.where !== undefined && typeof filters.where !== 'function') {
    throw fail('where', `${name('where')} must be a function of a row`);
  }
}

/** Whether no ready-made filter and no predicate is set: the whole table. */
export function isUnfiltered(filters: UserFilters): boolean {
  return filters.imageExists === undefined && filters.minAge === undefined && filters.maxAge === undefined && filters.where === undefined;
}
