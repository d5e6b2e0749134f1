// The HTTP service, for people who embed it in their own process. `npm start` (`main.ts`) runs
// `startServer` from these same parts.
export { createApp, buildService, startServer, type AppConfig, type Service, type RunningServer } from '../server.js';
export { answerClientErrors, MAX_QUERY_BYTES, MAX_QUERY_PARAMETERS } from './edges.js';
export { startRefreshing, type ServiceParts } from './wiring.js';
export { loadConfig, ConfigError, ENV_SCHEMA, ENV_VARIABLES, type Config, type Env } from './config.js';
export { Exporter, type ExporterOptions } from './exporter.js';
export { startScheduler, type Scheduler } from './scheduler.js';
export { createLogger } from './logger.js';
export { buildOpenApiDocument } from './openapi.js';
export { ROUTES, type Route, type RouteContext } from './routes/index.js';
export type { Operation, Method } from './routes/route.js';
export { Metrics } from './metrics.js';
export type { JsonObject } from './apiDoc.js';
export { parseFilterQuery, FILTER_QUERY_SCHEMA, DATA_QUERY_SCHEMA } from '../converters/queryString.js';
export * from './schemas.js';
