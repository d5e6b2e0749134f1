import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { DEFAULT_PAGE_ROWS, InvalidInputError, MAX_PAGE_ROWS, validateFilters, type UserFilters } from '../index.js';
import { parseBoolean, parseWholeNumber } from './values.js';

/**
 * The query strings of the HTTP API → filters, paging and formats. The zod schemas here are the
 * single source for parsing them and for the OpenAPI parameters; the rules over the values
 * (`min_age` ≤ `max_age`) are the library's, reported in these parameter names.
 */

/** Digits only: the HTTP layer turns text into a number; the range rules are the library's. */
const wholeNumber = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a non-negative integer such as 30`)
    .transform((v) => parseWholeNumber(v) ?? NaN)
    .refine(Number.isSafeInteger, `${name} is too large`);

/** The answer formats of `GET /data`, by the name `format=` takes. */
export const FORMATS = ['json', 'csv', 'ndjson', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${MAX_PAGE_ROWS}`;
const CURSOR_MESSAGE = 'cursor is not one this service issued; take it from the Link header of a previous answer';

/** A cursor is the last `user_id` served, base64url-encoded: opaque to clients, safe in a URL. */
export function encodeCursor(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

/** The `user_id` inside a cursor, or `null` when the text is not exactly what `encodeCursor` makes. */
export function decodeCursor(cursor: string): string | null {
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder skips characters it does not know; a round trip catches every such text.
  if (bytes.length === 0 || bytes.toString('base64url') !== cursor || !isUtf8(bytes)) return null;
  return bytes.toString('utf8');
}

const FILTER_SHAPE = {
  is_image_exists: z
    .string()
    .refine((v) => parseBoolean(v) !== null, 'is_image_exists must be true, false, 1 or 0')
    .transform((v) => parseBoolean(v)!)
    .optional()
    .describe('true/1: only users with an image; false/0: only users without one'),
  min_age: wholeNumber('min_age').optional().describe('minimum age in completed years, inclusive; not greater than max_age'),
  max_age: wholeNumber('max_age').optional().describe('maximum age in completed years, inclusive'),
};

/**
 * The query string of `GET /stats` and `GET /stats/ages`: the single source for parsing and the
 * OpenAPI parameters. The rules over the values (`min_age` ≤ `max_age`) live with the library's filters.
 */
export const FILTER_QUERY_SCHEMA = z.object(FILTER_SHAPE).strict();
export type FilterQuery = z.infer<typeof FILTER_QUERY_SCHEMA>;

/** The query string of `GET /data`: the filters plus paging and the answer format. */
export const DATA_QUERY_SCHEMA = z
  .object({
    ...FILTER_SHAPE,
    limit: z
      .string()
      .regex(/^\d+$/, LIMIT_MESSAGE)
      .transform(Number)
      .pipe(z.number().int().min(1, LIMIT_MESSAGE).max(MAX_PAGE_ROWS, LIMIT_MESSAGE))
      .optional()
      .describe(
        `rows per page, 1 to ${MAX_PAGE_ROWS}. Pages the answer: header X-Total-Count, and a Link rel="next" while more rows follow (${DEFAULT_PAGE_ROWS} when only cursor is given)`,
      ),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, CURSOR_MESSAGE)
      .refine((v) => decodeCursor(v) !== null, CURSOR_MESSAGE)
      .transform((v) => decodeCursor(v)!)
      .optional()
      .describe('where the page starts; only ever taken from the Link rel="next" of a previous answer'),
    format: z
      .enum(FORMATS, { error: 'format must be json, csv, ndjson or parquet' })
      .optional()
      .describe('answer format; overrides the Accept header (application/json, text/csv, application/x-ndjson, application/vnd.apache.parquet)'),
  })
  .strict();
export type DataQuery = z.infer<typeof DATA_QUERY_SCHEMA>;

/** Routes without parameters still refuse unknown ones: a typo must not look like it worked. */
export const NO_QUERY_SCHEMA = z.object({}).strict();

/** The query parameter of each filter, for the library's messages. */
const PARAMETER_NAMES = { imageExists: 'is_image_exists', minAge: 'min_age', maxAge: 'max_age' } as const;

/**
 * Parses a query string with one of the schemas above. Unknown and repeated parameters are errors,
 * not ignored: a typo like `min_ag=30` must not silently return everyone.
 */
export function parseQuery<S extends z.ZodObject>(schema: S, query: Record<string, unknown>): z.output<S> {
  const accepted = Object.keys(schema.shape);
  for (const [name, value] of Object.entries(query)) {
    if (!accepted.includes(name)) {
      const list = accepted.length > 0 ? `accepted: ${accepted.join(', ')}` : 'this route takes none';
      throw new InvalidInputError(`unknown query parameter "${name}"; ${list}`, { code: 'unknown_parameter', field: name });
    }
    if (typeof value !== 'string') {
      throw new InvalidInputError(`query parameter "${name}" was given more than once; give it once`, { code: 'repeated_parameter', field: name });
    }
  }
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const got = query[name] === undefined ? '' : ` (got ${JSON.stringify(query[name])})`;
    throw new InvalidInputError(`${issue.message}${got}`, { code: 'invalid_parameter', field: name });
  }
  return parsed.data;
}

/** Turns a parsed query string into filters (`GET /stats`, `GET /stats/ages`). */
export function parseFilterQuery(query: Record<string, unknown>): UserFilters {
  return toFilters(parseQuery(FILTER_QUERY_SCHEMA, query));
}

/** Filters checked by the library's rules, with its complaints in the caller's parameter names. */
export function toFilters(q: FilterQuery): UserFilters {
  const filters: UserFilters = { imageExists: q.is_image_exists, minAge: q.min_age, maxAge: q.max_age };
  validateFilters(filters, PARAMETER_NAMES);
  return filters;
}

/** The filter parameters of a parsed query as a query string again, in the schema's order. */
export function filterParameters(q: FilterQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (q.is_image_exists !== undefined) params.set('is_image_exists', String(q.is_image_exists));
  if (q.min_age !== undefined) params.set('min_age', String(q.min_age));
  if (q.max_age !== undefined) params.set('max_age', String(q.max_age));
  return params;
}
