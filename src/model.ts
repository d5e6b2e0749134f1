import { z } from 'zod';

/**
 * One user as every answer shows it: the single definition of the row's columns, their order,
 * types and meaning. The TypeScript row type, the default columns of every export, the JSON and
 * CSV encoders, the snapshot and the OpenAPI document all derive from it.
 */
export const USER_ROW_SCHEMA = z.object({
  user_id: z.string().describe('file name of the user CSV without .csv, e.g. 1001 for source_data/1001.csv'),
  first_name: z.string().describe('from the CSV, trimmed'),
  last_name: z.string().describe('from the CSV, trimmed'),
  birthts: z.number().int().describe('birth date, ms since 1970-01-01 UTC'),
  img_path: z.string().nullable().describe("key of the user's image in the store, null without one"),
});

/** The columns every export has unless the caller picks others, in order. */
export const DEFAULT_COLUMNS = USER_ROW_SCHEMA.keyof().options;
export type BaseColumn = (typeof DEFAULT_COLUMNS)[number];

/** The columns a user CSV provides; `user_id` comes from its key and `img_path` from the listing. */
export const CSV_COLUMNS = ['first_name', 'last_name', 'birthts'] as const satisfies readonly BaseColumn[];
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** What one user CSV says: the CSV's columns of the row, and its extra columns. */
export type ParsedUser = Pick<UserRow, CsvColumn | 'extra'>;

/** One user as the table holds it: the columns above, plus the CSV's extra columns. */
export type UserRow = Readonly<z.infer<typeof USER_ROW_SCHEMA>> & {
  /** Columns beyond the required ones, by header name (trimmed). */
  readonly extra: Readonly<Record<string, string>>;
};

/** A file the last sync could not use, and why. */
export const SYNC_FAILURE_SCHEMA = z.object({
  key: z.string().describe('the object key'),
  reason: z.string().describe('why the file cannot be used'),
});
export type SyncFailure = z.infer<typeof SYNC_FAILURE_SCHEMA>;

/**
 * What one sync did. The zod schema is the single definition: the TypeScript type, the HTTP
 * answers that carry a report and the OpenAPI document all come from it.
 */
export const SYNC_REPORT_SCHEMA = z.object({
  listed: z.number().int().describe('objects under the source prefix'),
  downloaded: z.number().int().describe('CSVs fetched in this run'),
  unchanged: z.number().int().describe('CSVs whose etag and size matched the cache, so they were not fetched'),
  removed: z.number().int().describe('users dropped because their CSV disappeared'),
  imagesWithoutInfo: z.number().int().describe('images with no CSV of the same user id: not users'),
  ignored: z.number().int().describe('objects under the prefix that are neither a user CSV nor an image (nested folders, other extensions)'),
  users: z.number().int().describe('users in the table after the run'),
  complete: z
    .boolean()
    .describe('false when a CSV could not be downloaded (network, 5xx, integrity) and no earlier good version of that user exists: the table lacks users'),
  missing: z.array(z.string()).describe('keys of the CSVs that make the run incomplete'),
  failed: z.array(SYNC_FAILURE_SCHEMA).describe('every file that is currently unusable, including ones reported by earlier runs and not fixed since'),
  durationMs: z.number().int().describe('wall time of the run in milliseconds'),
});
export type SyncReport = z.infer<typeof SYNC_REPORT_SCHEMA>;

export interface SyncProgress {
  /** `listing` while keys are being listed, then `downloading` while changed CSVs are fetched. */
  phase: 'listing' | 'downloading';
  /** Objects listed so far; final once the phase is `downloading`. */
  listed: number;
  /** CSV downloads finished so far in this run. */
  done: number;
  /** CSV downloads this run will do (0 while listing). */
  total: number;
}

/** The filters every query understands; each is optional and absent means "not applied". */
export interface UserFilters {
  /** `true`: only users with an image; `false`: only users without one. */
  imageExists?: boolean;
  /** Minimum age in completed years, inclusive. */
  minAge?: number;
  /** Maximum age in completed years, inclusive. */
  maxAge?: number;
  /** Any other condition over a row; runs after the ready-made filters. */
  where?: (row: Readonly<UserRow>) => boolean;
}
