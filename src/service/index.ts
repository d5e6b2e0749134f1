// The HTTP service, for people who embed it in their own process. `main.ts` is the stand-alone
// entry point (`npm start`), built from these same parts.
export { createApp, type AppConfig } from './app.js';
export { answerClientErrors, MAX_QUERY_BYTES, MAX_QUERY_PARAMETERS } from './edges.js';
export { buildService, startRefreshing, type Service } from './wiring.js';
export { loadConfig, ConfigError, ENV_SCHEMA, ENV_VARIABLES, type Config, type Env } from './config.js';
export { Exporter } from './exporter.js';
export { startScheduler, type Scheduler } from './scheduler.js';
export { createLogger } from './logger.js';
export { buildOpenApiDocument } from './openapi.js';
export { parseFilterQuery, FILTER_QUERY_SCHEMA } from './query.js';
export * from './schemas.js';
