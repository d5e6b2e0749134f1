import { InvalidInputError } from '../errors.js';
import type { UserFilters } from '../model.js';

/**
 * The rules every filter obeys, in one place: the library checks them on every query and the HTTP
 * layer only turns strings into values and renames the fields in the message. Throws
 * `InvalidInputError` whose `field` names the bad filter.
 */
export function validateFilters(filters: UserFilters): void {
  for (const field of ['minAge', 'maxAge'] as const) {
    const value = filters[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidInputError(`${field} must be a non-negative integer such as 30, got ${String(value)}`, { field });
    }
  }
  if (filters.minAge !== undefined && filters.maxAge !== undefined && filters.minAge > filters.maxAge) {
    throw new InvalidInputError(`minAge (${filters.minAge}) must not be greater than maxAge (${filters.maxAge})`, { field: 'minAge' });
  }
  if (filters.imageExists !== undefined && typeof filters.imageExists !== 'boolean') {
    throw new InvalidInputError(`imageExists must be true or false, got ${String(filters.imageExists)}`, { field: 'imageExists' });
  }
  if (filters.where !== undefined && typeof filters.where !== 'function') {
    throw new InvalidInputError('where must be a function of a row', { field: 'where' });
  }
}

/** Whether no ready-made filter and no predicate is set: the whole table. */
export function isUnfiltered(filters: UserFilters): boolean {
  return filters.imageExists === undefined && filters.minAge === undefined && filters.maxAge === undefined && filters.where === undefined;
}
