import { z } from 'zod';

/** One user as the table holds it. */
export interface UserRow {
  /** The CSV file name without its extension, e.g. `1001` for `source_data/1001.csv`. */
  readonly user_id: string;
  readonly first_name: string;
  readonly last_name: string;
  /** Birth date, milliseconds since 1970-01-01T00:00:00Z. */
  readonly birthts: number;
  /** Key of the user's image in the store, or `null` when there is none. */
  readonly img_path: string | null;
  /** Columns beyond the three required ones, by header name (trimmed). */
  readonly extra: Readonly<Record<string, string>>;
}

/** The columns every export has unless the caller picks others. */
export const DEFAULT_COLUMNS = ['user_id', 'first_name', 'last_name', 'birthts', 'img_path'] as const;
export type BaseColumn = (typeof DEFAULT_COLUMNS)[number];

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
