import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { UserFilters } from '../model.js';
import { validateFilters } from '../query/filters.js';

/** Digits only: the HTTP layer turns text into a number; the range rules are the library's. */
const wholeNumber = (name: string) =>
  z.string().regex(/^\d+$/, `${name} must be a non-negative integer such as 30`).transform(Number).refine(Number.isSafeInteger, `${name} is too large`);

/**
 * The query string of `GET /data` and `GET /stats`: the single source for parsing and the OpenAPI
 * parameters. The rules over the values (`min_age` ≤ `max_age`) live with the library's filters.
 */
export const FILTER_QUERY_SCHEMA = z
  .object({
    is_image_exists: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['true', 'false', '1', '0'], { error: 'is_image_exists must be true, false, 1 or 0' }))
      .transform((v) => v === 'true' || v === '1')
      .optional()
      .describe('true/1: only users with an image; false/0: only users without one'),
    min_age: wholeNumber('min_age').optional().describe('minimum age in completed years, inclusive; not greater than max_age'),
    max_age: wholeNumber('max_age').optional().describe('maximum age in completed years, inclusive'),
  })
  .strict();

export type FilterQuery = z.infer<typeof FILTER_QUERY_SCHEMA>;
const ACCEPTED = Object.keys(FILTER_QUERY_SCHEMA.shape);
/** Library filter names → the query parameters that carry them. */
const PARAMETER_OF: Readonly<Record<string, string>> = { imageExists: 'is_image_exists', minAge: 'min_age', maxAge: 'max_age' };

/**
 * Turns a parsed query string into filters. Unknown and repeated parameters are errors, not
 * ignored: a typo like `min_ag=30` must not silently return everyone.
 */
export function parseFilterQuery(query: Record<string, unknown>): UserFilters {
  for (const [name, value] of Object.entries(query)) {
    if (!ACCEPTED.includes(name)) {
      throw new InvalidInputError(`unknown query parameter "${name}"; accepted: ${ACCEPTED.join(', ')}`, { code: 'unknown_parameter', field: name });
    }
    if (typeof value !== 'string') {
      throw new InvalidInputError(`query parameter "${name}" was given more than once; give it once`, { code: 'repeated_parameter', field: name });
    }
  }
  const parsed = FILTER_QUERY_SCHEMA.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const got = query[name] === undefined ? '' : ` (got ${JSON.stringify(query[name])})`;
    throw new InvalidInputError(`${issue.message}${got}`, { code: 'invalid_parameter', field: name });
  }
  const q = parsed.data;
  const filters: UserFilters = { imageExists: q.is_image_exists, minAge: q.min_age, maxAge: q.max_age };
  try {
    validateFilters(filters);
  } catch (error) {
    throw inParameterTerms(error);
  }
  return filters;
}

/** The library's complaint, with its filter names replaced by the query parameters the caller used. */
function inParameterTerms(error: unknown): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  const message = error.message.replace(/\b(imageExists|minAge|maxAge)\b/g, (name) => PARAMETER_OF[name] ?? name);
  return new InvalidInputError(message, { code: 'invalid_parameter', field: error.field && PARAMETER_OF[error.field] });
}
