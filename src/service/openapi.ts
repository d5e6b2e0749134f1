import { z } from 'zod';
import { DATA_QUERY_SCHEMA, FILTER_QUERY_SCHEMA } from './query.js';
import { AGE_STATS_SCHEMA, ERROR_SCHEMA, EXPORT_RESULT_SCHEMA, HEALTH_SCHEMA, STATS_SCHEMA, SYNC_STATUS_SCHEMA, USER_SCHEMA } from './schemas.js';

type JsonObject = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonObject;
const json = (description: string, s: z.ZodType) => ({ description, content: { 'application/json': { schema: schema(s) } } });
const error = (description: string) => json(description, ERROR_SCHEMA);
const text = (description: string, mediaType: string) => ({ description, content: { [mediaType]: { schema: { type: 'string' } } } });

/** Operations anyone may call: declared explicitly, so that only `POST /data` asks for the key. */
const OPEN: unknown[] = [];
/**
 * Every operation can meet Node's HTTP parser refusing oversized request headers before any route
 * runs; for those that answer no other client error, it is the one to declare.
 */
const HEADERS_TOO_LARGE = { description: 'request headers larger than the server accepts (16 KB); empty body' };

/** Query parameters, straight from the schema that validates them. */
function queryParameters(s: z.ZodObject): JsonObject[] {
  const input = schema(s, 'input') as { properties: Record<string, JsonObject> };
  return Object.entries(input.properties).map(([name, p]) => {
    const { description, ...rest } = p;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

const header = (description: string, type = 'string') => ({ description, schema: { type } });
const STALE = { 'X-Data-Stale': header('present (true) when the store could not be reached and the answer comes from the cache') };

function dataGet(): JsonObject {
  const users = schema(z.array(USER_SCHEMA));
  return {
    operationId: 'listUsers',
    summary: 'Users matching the filters, sorted by user_id (numeric-aware), whole or a page at a time',
    description:
      'Paged when limit or cursor is given: follow the Link rel="next" until there is none to get every matching user exactly once, ' +
      'even if users are added or removed in between. The format comes from format= or else the Accept header. ' +
      'The unfiltered, unpaged answer carries an ETag and honours If-None-Match.',
    security: OPEN,
    parameters: queryParameters(DATA_QUERY_SCHEMA),
    responses: {
      200: {
        description: 'matching users',
        headers: {
          ...STALE,
          'X-Total-Count': header('paged answers: users matching the filters, on all pages', 'integer'),
          Link: header('paged answers with more rows: <url>; rel="next", the same query with the cursor of the next page'),
          ETag: header('unfiltered, unpaged answers: changes whenever the data does'),
        },
        content: {
          'application/json': { schema: users },
          'text/csv': { schema: { type: 'string', description: "the output file's columns and quoting; each page starts with the header line" } },
          'application/x-ndjson': { schema: { ...schema(USER_SCHEMA), description: 'one such object per line' } },
        },
      },
      304: { description: 'not modified: If-None-Match holds the current ETag' },
      400: error('bad query parameter, limit or cursor'),
      406: error('the Accept header admits none of application/json, text/csv, application/x-ndjson'),
      503: error('store unreachable and nothing cached'),
    },
  };
}

function filteredRead(operationId: string, summary: string, body: z.ZodType): JsonObject {
  return {
    get: {
      operationId,
      summary,
      security: OPEN,
      parameters: queryParameters(FILTER_QUERY_SCHEMA),
      responses: {
        200: { ...json('statistics', body), headers: STALE },
        400: error('bad query parameter'),
        503: error('store unreachable and nothing cached'),
      },
    },
  };
}

/** The OpenAPI 3.0 document of the service, generated from the zod schemas the routes use. */
export function buildOpenApiDocument(version: string): JsonObject {
  return {
    openapi: '3.0.3',
    info: {
      title: 'user-data-transformer',
      version,
      description: 'Per-user CSV and image files aggregated into one queryable table. The dashboard is at /, these docs at /docs.',
      license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
    },
    servers: [{ url: '/', description: 'the service that serves this document' }],
    paths: {
      '/': {
        get: {
          operationId: 'getDashboard',
          summary: 'The dashboard: statistics, age histogram, users page by page, failing files, publish button',
          security: OPEN,
          responses: { 200: text('the page; its script and style sheet load from /dashboard/', 'text/html'), 431: HEADERS_TOO_LARGE },
        },
      },
      '/data': {
        get: dataGet(),
        post: {
          operationId: 'exportNow',
          summary: 'Export now: sync, then write the output CSV',
          security: [{ apiKey: [] }],
          responses: {
            200: json('sync report and output key', EXPORT_RESULT_SCHEMA),
            401: error('missing or wrong API key'),
            503: error('store unreachable; nothing was written'),
          },
        },
      },
      '/stats': filteredRead('getStats', 'Average age in completed years of the users matching the filters', STATS_SCHEMA),
      '/stats/ages': filteredRead('getAgeStats', 'Count and average age of the matching users, and how many have each age', AGE_STATS_SCHEMA),
      '/sync': {
        get: {
          operationId: 'getSyncStatus',
          summary: 'Whether a sync runs now, and the last successful one with its report and failing files',
          security: OPEN,
          responses: { 200: json('sync status', SYNC_STATUS_SCHEMA), 400: error('this route takes no query parameters') },
        },
      },
      '/output.csv': {
        get: {
          operationId: 'getOutput',
          summary: 'The exported output file, as the store holds it',
          security: OPEN,
          responses: {
            200: text('the last export', 'text/csv'),
            400: error('this route takes no query parameters'),
            404: error('nothing exported yet'),
            503: error('store unreachable'),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'getHealth',
          summary: 'Whether the store answers, with the last sync and export',
          security: OPEN,
          responses: { 200: json('healthy', HEALTH_SCHEMA), 431: HEADERS_TOO_LARGE, 503: json('store unreachable', HEALTH_SCHEMA) },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          summary: 'This document',
          security: OPEN,
          responses: { 200: { description: 'OpenAPI 3.0', content: { 'application/json': { schema: { type: 'object' } } } }, 431: HEADERS_TOO_LARGE },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'the service API key; required only when the service has one set' },
      },
    },
  };
}
