import { z } from 'zod';
import { FILTER_QUERY_SCHEMA } from './query.js';
import { ERROR_SCHEMA, EXPORT_RESULT_SCHEMA, HEALTH_SCHEMA, STATS_SCHEMA, USER_SCHEMA } from './schemas.js';

type JsonObject = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonObject;
const json = (description: string, s: z.ZodType) => ({ description, content: { 'application/json': { schema: schema(s) } } });
const error = (description: string) => json(description, ERROR_SCHEMA);

/** Query parameters, straight from the schema that validates them. */
function filterParameters(): JsonObject[] {
  const input = schema(FILTER_QUERY_SCHEMA, 'input') as { properties: Record<string, JsonObject> };
  return Object.entries(input.properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

/** The OpenAPI 3.0 document of the service, generated from the zod schemas the routes use. */
export function buildOpenApiDocument(version: string): JsonObject {
  const parameters = filterParameters();
  const stale = {
    'X-Data-Stale': { description: 'present (true) when the store could not be reached and the answer comes from the cache', schema: { type: 'string' } },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'user-data-transformer', version, description: 'Per-user CSV and image files aggregated into one queryable table.' },
    paths: {
      '/data': {
        get: {
          summary: 'Users matching the filters, sorted by user_id (numeric-aware)',
          parameters,
          responses: {
            200: { ...json('matching users', z.array(USER_SCHEMA)), headers: stale },
            400: error('bad query parameter'),
            503: error('store unreachable and nothing cached'),
          },
        },
        post: {
          summary: 'Export now: sync, then write the output CSV',
          parameters: [
            { name: 'x-api-key', in: 'header', required: false, description: 'required when the service has API_KEY set', schema: { type: 'string' } },
          ],
          responses: {
            200: json('sync report and output key', EXPORT_RESULT_SCHEMA),
            401: error('missing or wrong API key'),
            503: error('store unreachable; nothing was written'),
          },
        },
      },
      '/stats': {
        get: {
          summary: 'Average age in completed years of the users matching the filters',
          parameters,
          responses: {
            200: { ...json('statistics', STATS_SCHEMA), headers: stale },
            400: error('bad query parameter'),
            503: error('store unreachable and nothing cached'),
          },
        },
      },
      '/health': {
        get: {
          summary: 'Whether the store answers, with the last sync and export',
          responses: { 200: json('healthy', HEALTH_SCHEMA), 503: json('store unreachable', HEALTH_SCHEMA) },
        },
      },
    },
  };
}
