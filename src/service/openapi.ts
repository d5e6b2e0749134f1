import type { JsonObject } from './apiDoc.js';
import { ROUTES, type Route } from './routes/index.js';

/**
 * The OpenAPI 3.0 document of the service: each route's operations as the route table declares
 * them, with schemas generated from the zod schemas that validate the requests and type the answers.
 */
export function buildOpenApiDocument(version: string, routes: readonly Route[] = ROUTES): JsonObject {
  return {
    openapi: '3.0.3',
    info: {
      title: 'user-data-transformer',
      version,
      description: 'Per-user CSV and image files aggregated into one queryable table. The dashboard is at /, these docs at /docs.',
      license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
    },
    servers: [{ url: '/', description: 'the service that serves this document' }],
    paths: Object.fromEntries(routes.map((r) => [r.path, Object.fromEntries(Object.entries(r.operations).map(([method, op]) => [method, op.doc]))])),
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'the service API key; required only when the service has one set' },
      },
    },
  };
}
