import { z } from 'zod';
import { ERROR_SCHEMA } from './schemas.js';

/** Pieces of the OpenAPI document, shared by the routes that declare their own operations. */
export type JsonObject = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.0 schema object. */
export const schemaOf = (s: z.ZodType, io: 'input' | 'output' = 'output'): JsonObject =>
  z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonObject;

export const json = (description: string, s: z.ZodType): JsonObject => ({ description, content: { 'application/json': { schema: schemaOf(s) } } });
export const errorAnswer = (description: string): JsonObject => json(description, ERROR_SCHEMA);
export const textAnswer = (description: string, mediaType: string): JsonObject => ({ description, content: { [mediaType]: { schema: { type: 'string' } } } });
export const header = (description: string, type = 'string'): JsonObject => ({ description, schema: { type } });

/** Operations anyone may call: declared explicitly, so that only `POST /data` asks for the key. */
export const OPEN: unknown[] = [];

/**
 * Every operation can meet Node's HTTP parser refusing oversized request headers before any route
 * runs; for those that answer no other client error, it is the one to declare.
 */
export const HEADERS_TOO_LARGE = { description: 'request headers larger than the server accepts (16 KB); empty body' };

/** The freshness headers every read of the table carries. */
export const STALE_HEADERS = {
  'X-Data-Stale': header('present (true) when the store could not be reached and the answer comes from the cache'),
  'X-Data-Age-Ms': header('ms since the table was last known to match the store', 'integer'),
  'X-Data-Incomplete': header('present (true) when some user CSVs could not be downloaded: users are missing'),
};

/** Query parameters, straight from the schema that validates them. */
export function queryParameters(s: z.ZodObject): JsonObject[] {
  const input = schemaOf(s, 'input') as { properties: Record<string, JsonObject> };
  return Object.entries(input.properties).map(([name, p]) => {
    const { description, ...rest } = p;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}
