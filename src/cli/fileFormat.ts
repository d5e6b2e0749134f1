import { UsageError } from './errors.js';

/** Formats that a file name's extension names. */
const BY_EXTENSION: Readonly<Record<string, 'csv' | 'parquet'>> = { '.csv': 'csv', '.parquet': 'parquet' };

/**
 * The format to write `target` (a file or a key) in: `--format` when given, else what the name's
 * extension says, else `fallback`. A `--format` that contradicts the extension is refused: a
 * `users.parquet` holding CSV text (or the reverse) fails in whatever reads it next.
 */
export function formatFor<F extends string>(target: string, explicit: F | undefined, fallback: F): F | 'csv' | 'parquet' {
  const extension = /\.[^./\\]+$/.exec(target.toLowerCase())?.[0] ?? '';
  const named = BY_EXTENSION[extension];
  if (explicit !== undefined && named !== undefined && (explicit as string) !== named) {
    throw new UsageError(`--format ${explicit} does not match ${target}, whose name says ${named}; change one of them`);
  }
  return explicit ?? named ?? fallback;
}
