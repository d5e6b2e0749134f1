import type { EntryFailure } from '../cache/entries.js';
import type { BaseColumn } from '../model.js';

/** What a snapshot must match to be used: taken under other settings, its cache would be wrong. */
export interface SnapshotScope {
  sourcePrefix: string;
  imageExtensions: readonly string[];
  maxCsvBytes: number;
  maxAgeYears: number;
}

/**
 * Column-wise, so a million users cost a few arrays of strings, not a million objects. The row's
 * columns are the row definition's (`DEFAULT_COLUMNS`), by name.
 */
export interface Payload {
  columns: Record<BaseColumn, unknown[]>;
  keys: string[];
  etags: string[];
  sizes: number[];
  /** `[position, extra columns]` for the rows that have any. */
  extra: [number, Record<string, string>][];
  failures: [string, EntryFailure][];
  /** `modifiedMs` null: unknown (`-Infinity` in memory, which JSON cannot hold). */
  images: [string, { key: string; modifiedMs: number | null }[]][];
}
