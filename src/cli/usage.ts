import { InvalidArgumentError } from 'commander';
import { InvalidInputError } from '../errors.js';
import type { UserFilters } from '../model.js';
import { validateFilters } from '../query/filters.js';
import { UsageError } from './errors.js';

/** An argument parser for commander: a whole number from `min` to `max`. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const expected = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}, such as 30` : `a whole number from ${min} to ${max}`;
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`It must be ${expected}.`);
    return n;
  };
}

export interface FilterFlags {
  image?: boolean;
  minAge?: number;
  maxAge?: number;
}

/** Library filter names → the flags that carry them. */
const FLAG_OF: Readonly<Record<string, string>> = { imageExists: '--image', minAge: '--min-age', maxAge: '--max-age' };

/** The filters the flags ask for, checked by the library's own rules and explained in flag names. */
export function filtersFrom(flags: FilterFlags): UserFilters {
  const filters: UserFilters = { imageExists: flags.image, minAge: flags.minAge, maxAge: flags.maxAge };
  try {
    validateFilters(filters);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError(error.message.replace(/\b(imageExists|minAge|maxAge)\b/g, (name) => FLAG_OF[name] ?? name));
  }
  return filters;
}

/**
 * Checks a key the output is written to: relative, no `.`/`..` segments, and not directly in the
 * source folder, where the next sync would read it back as a user.
 */
export function checkOutputKey(key: string, sourcePrefix: string): string {
  if (key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new UsageError(`--key must be a relative key such as processed_data/output.csv, got ${JSON.stringify(key)}`);
  }
  if (key.startsWith(sourcePrefix) && !key.slice(sourcePrefix.length).includes('/')) {
    const where = sourcePrefix === '' ? 'the source folder' : sourcePrefix;
    throw new UsageError(`--key ${key} is directly in ${where}, where the next sync would read it back as a user; use a sub-folder such as processed_data/`);
  }
  return key;
}
