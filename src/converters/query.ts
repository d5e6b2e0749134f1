import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { UserFilters } from '../model.js';

const nonNegativeInteger = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a non-negative integer such as 30`)
    .transform(Number)
    .refine(Number.isSafeInteger, `${name} is too large`);

/**
 * The query string of `GET /data` and `GET /stats`: the single source for validation, the
 * filter types and the OpenAPI parameters.
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
    min_age: nonNegativeInteger('min_age').optional().describe('minimum age in completed years, inclusive'),
    max_age: nonNegativeInteger('max_age').optional().describe('maximum age in completed years, inclusive'),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.min_age !== undefined && q.max_age !== undefined && q.min_age > q.max_age) {
      ctx.addIssue({ code: 'custom', path: ['min_age'], message: `min_age (${q.min_age}) must not be greater than max_age (${q.max_age})` });
    }
  });

export type FilterQuery = z.infer<typeof FILTER_QUERY_SCHEMA>;
const ACCEPTED = Object.keys(FILTER_QUERY_SCHEMA.shape);

/**
 * Turns a parsed query string into filters. Unknown and repeated parameters are errors, not
 * ignored: a typo like `min_ag=30` must not silently return everyone.
 */
export function parseFilterQuery(query: Record<string, unknown>): UserFilters {
  for (const [name, value] of Object.entries(query)) {
    if (!ACCEPTED.includes(name)) {
      throw new InvalidInputError(`unknown query parameter "${name}"; accepted: ${ACCEPTED.join(', ')}`, 'unknown_parameter');
    }
    if (typeof value !== 'string') {
      throw new InvalidInputError(`query parameter "${name}" was given more than once; give it once`, 'repeated_parameter');
    }
  }
  const parsed = FILTER_QUERY_SCHEMA.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const got = issue.code === 'custom' || query[name] === undefined ? '' : ` (got ${JSON.stringify(query[name])})`;
    throw new InvalidInputError(`${issue.message}${got}`, 'invalid_parameter');
  }
  const q = parsed.data;
  return { imageExists: q.is_image_exists, minAge: q.min_age, maxAge: q.max_age };
}
