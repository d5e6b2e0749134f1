import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { InvalidInputError, validateFilters, type UserFilters } from '../index.js';
import { writeKeyProblem } from './keys.js';
import { parseWholeNumber } from './values.js';

/** The command line's filter flags → filters. */

/** An argument parser for commander: a whole number from `min` to `max`. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const expected = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}, such as 30` : `a whole number from ${min} to ${max}`;
  return (value) => {
    const n = parseWholeNumber(value);
    if (n === null || n < min || n > max) throw new InvalidArgumentError(`It must be ${expected}.`);
    return n;
  };
}

export interface FilterFlags {
  image?: boolean;
  minAge?: number;
  maxAge?: number;
}

/** The flag of each filter, for the library's messages. */
const FLAG_NAMES = { imageExists: '--image', minAge: '--min-age', maxAge: '--max-age' } as const;

/** The filters the flags ask for, checked by the library's own rules and explained in flag names. */
export function filtersFrom(flags: FilterFlags): UserFilters {
  const filters: UserFilters = { imageExists: flags.image, minAge: flags.minAge, maxAge: flags.maxAge };
  validateFilters(filters, FLAG_NAMES);
  return filters;
}

/** `--out`: a file the output may be written to, which is not directly in the source folder `sourceDir`. */
export function checkOutputFile(file: string, sourceDir: string): string {
  if (path.dirname(path.resolve(file)) === path.resolve(sourceDir)) {
    throw new InvalidInputError(
      `--out ${JSON.stringify(file)} is directly in the source folder, where the next sync would read it back as a user; write it elsewhere`,
    );
  }
  return file;
}

/** `--key`: a key the output may be written to (see `writeKeyProblem`). */
export function checkOutputKey(key: string, sourcePrefix: string): string {
  const problem = writeKeyProblem(key, sourcePrefix);
  if (problem) throw new InvalidInputError(`--key ${JSON.stringify(key)} ${problem}`);
  return key;
}
