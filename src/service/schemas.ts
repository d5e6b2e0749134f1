import { z } from 'zod';
import { SYNC_REPORT_SCHEMA } from '../index.js';

/**
 * Every HTTP body shape, declared once: handlers build values of the inferred types and the
 * OpenAPI document is generated from the same schemas, so the two cannot drift. Bodies use
 * camelCase; the row fields keep the table's column names and `/stats` keeps `average_age`, the
 * names the API started with.
 */
export const STATS_SCHEMA = z.object({
  average_age: z.number().nullable().describe('mean age in completed years of matching users; null when count is 0'),
  count: z.number().int().describe('number of matching users'),
});

export type Stats = z.infer<typeof STATS_SCHEMA>;

/** The answer of `GET /stats/ages`: `/stats` plus the users per age, for a histogram. */
export const AGE_STATS_SCHEMA = STATS_SCHEMA.extend({
  ages: z
    .array(z.object({ age: z.number().int().describe('completed years'), count: z.number().int().describe('matching users of that age') }))
    .describe('one entry per age some matching user has, youngest first'),
});
export type AgeStats = z.infer<typeof AGE_STATS_SCHEMA>;

/** The answer of `GET /sync`: whether a sync runs now, and the last one that succeeded. */
export const SYNC_STATUS_SCHEMA = z.object({
  running: z.boolean().describe('a sync is in progress'),
  lastSync: z
    .object({
      startedAt: z.string().describe('ISO time the sync started'),
      finishedAt: z.string().describe('ISO time it finished'),
      durationMs: z.number().int(),
      report: SYNC_REPORT_SCHEMA,
    })
    .nullable()
    .describe('the last successful sync; null before the first'),
});
export type SyncStatus = z.infer<typeof SYNC_STATUS_SCHEMA>;

export const EXPORT_TRIGGER_SCHEMA = z.enum(['schedule', 'api', 'boot']);
export type ExportTrigger = z.infer<typeof EXPORT_TRIGGER_SCHEMA>;

/** The answer of `POST /data`: what one export wrote, and the sync it wrote from. */
export const EXPORT_RESULT_SCHEMA = z.object({
  users: z.number().int().describe('users written'),
  output: z.string().describe('key of the written CSV'),
  parquet: z.string().nullable().describe('key of the Parquet file written from the same table, null when OUTPUT_PARQUET_KEY is off'),
  sync: SYNC_REPORT_SCHEMA,
});
export type ExportResult = z.infer<typeof EXPORT_RESULT_SCHEMA>;

/** The outcome of the most recent export, as `/health` shows it. */
export const EXPORT_STATUS_SCHEMA = z.object({
  trigger: EXPORT_TRIGGER_SCHEMA,
  finishedAt: z.string().describe('ISO time the run finished'),
  ok: z.boolean(),
  durationMs: z.number().int(),
  users: z.number().int().optional().describe('users written, when ok'),
  error: z.string().optional().describe('why it failed, when not ok'),
});
export type ExportStatus = z.infer<typeof EXPORT_STATUS_SCHEMA>;

export const ERROR_SCHEMA = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    missing: z.array(z.string()).optional().describe('incomplete_sync: keys of CSVs that could not be downloaded (the first 100)'),
  }),
});

/** Conditions worth attention that are not failures, such as a source with no user files. */
const WARNINGS_SCHEMA = z.array(z.string()).describe('e.g. "no user files under data/": served, but probably not what was meant');

/** With a change log: how this replica learns of changes, and how far behind the log it is. */
const CHANGE_LOG_SCHEMA = z
  .object({
    name: z.string().describe('the log, without credentials'),
    mode: z
      .enum(['stream', 'listing'])
      .describe('stream: changes arrive from the log; listing: it is down or being caught up, listings keep the table current'),
    position: z.number().int().nullable().describe('the last log sequence applied'),
    lag: z.number().int().describe('log messages not yet applied'),
  })
  .optional()
  .describe('present when the service follows a change log (NATS_URL)');

export const HEALTH_SCHEMA = z.object({
  status: z.enum(['ok', 'unavailable']),
  ready: z.boolean().describe('a table is loaded and the last refresh reached the store'),
  store: z.string().describe('the store, without credentials'),
  users: z.number().int(),
  dataAgeMs: z.number().int().nullable().describe('ms since the table was last known to match the store; null before the first load'),
  lastSync: z.object({ at: z.string(), durationMs: z.number().int(), failed: z.number().int() }).nullable(),
  lastExport: EXPORT_STATUS_SCHEMA.nullable(),
  changeLog: CHANGE_LOG_SCHEMA,
  warnings: WARNINGS_SCHEMA,
  error: ERROR_SCHEMA.shape.error.optional(),
});
export type Health = z.infer<typeof HEALTH_SCHEMA>;

export const READINESS_SCHEMA = z.object({
  status: z.enum(['ready', 'loading', 'unavailable']),
  dataAgeMs: z.number().int().nullable(),
  changeLog: CHANGE_LOG_SCHEMA,
  warnings: WARNINGS_SCHEMA,
  error: ERROR_SCHEMA.shape.error.optional(),
});
export type Readiness = z.infer<typeof READINESS_SCHEMA>;
