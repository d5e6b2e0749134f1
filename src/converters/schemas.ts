import { z } from 'zod';

/** Response shapes of the HTTP API; the OpenAPI document is generated from these. */
export const USER_SCHEMA = z.object({
  user_id: z.string().describe('file name of the user CSV without .csv'),
  first_name: z.string(),
  last_name: z.string(),
  birthts: z.number().int().describe('birth date, ms since 1970-01-01 UTC'),
  img_path: z.string().nullable().describe('key of the image in the store, null without one'),
});

export const STATS_SCHEMA = z.object({
  average_age: z.number().nullable().describe('mean age in completed years of matching users; null when count is 0'),
  count: z.number().int().describe('number of matching users'),
});

export const SYNC_REPORT_SCHEMA = z.object({
  listed: z.number().int(),
  downloaded: z.number().int(),
  unchanged: z.number().int(),
  removed: z.number().int(),
  imagesWithoutInfo: z.number().int(),
  ignored: z.number().int(),
  users: z.number().int(),
  failed: z.array(z.object({ key: z.string(), reason: z.string() })),
  durationMs: z.number().int(),
});

export const PUBLISH_SCHEMA = z.object({
  users: z.number().int(),
  output: z.string().describe('key of the written CSV'),
  sync: SYNC_REPORT_SCHEMA,
});

export const ERROR_SCHEMA = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

export const HEALTH_SCHEMA = z.object({
  status: z.enum(['ok', 'unavailable']),
  store: z.string(),
  users: z.number().int(),
  lastSync: z.object({ at: z.string(), durationMs: z.number(), failed: z.number().int() }).nullable(),
  lastExport: z
    .object({ trigger: z.string(), finishedAt: z.string(), ok: z.boolean(), durationMs: z.number(), users: z.number().optional(), error: z.string().optional() })
    .nullable(),
  error: ERROR_SCHEMA.shape.error.optional(),
});
