import compression from 'compression';
import cors from 'cors';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { DEFAULT_MAX_STALENESS_MS, DEFAULT_READY_TIMEOUT_MS, type ObjectStore, type UserDataTransformer } from './index.js';
import { accessLog } from './service/accessLog.js';
import { boundedQuery, onlyMethods, parseQueryString, securityHeaders } from './service/edges.js';
import { errorHandler } from './service/errorHandler.js';
import type { Exporter } from './service/exporter.js';
import { freshness } from './service/freshness.js';
import { MethodNotAllowedError, NotFoundError } from './service/httpErrors.js';
import type { Metrics } from './service/metrics.js';
import type { Config } from './service/config.js';
import { createLogger } from './service/logger.js';
import { buildOpenApiDocument } from './service/openapi.js';
import { dashboardAssets } from './service/routes/dashboard.js';
import { ROUTES, allowedMethods, type Route, type RouteContext } from './service/routes/index.js';
import { startScheduler, type Scheduler } from './service/scheduler.js';
import { installShutdown } from './service/shutdown.js';
import { isLoopback, listen, readConfig } from './service/listen.js';
import { buildParts, startRefreshing, type ServiceParts } from './service/wiring.js';
import { packageVersion } from './util/packageVersion.js';

/**
 * The HTTP service: `createApp` builds the Express app over a transformer, and `startServer` runs
 * it as `npm start` does (configuration from the environment, listening, the export schedule,
 * shutdown). Every route is declared once, in `service/routes/index.ts`.
 */
export interface AppConfig {
  /**
   * Only when the transformer was not `start()`ed: reads sync first when the table is older than
   * this (0: on every read). A started transformer refreshes in the background. Default 5 000 ms.
   */
  maxStalenessMs?: number;
  /** Before the first load, reads wait this long, then answer 503 `not_ready`. Default 10 000 ms. */
  readyTimeoutMs?: number;
  /** Serve `GET /metrics` from these; without them the route is absent. */
  metrics?: Metrics;
  /** When set, `POST /data` requires this value in header `x-api-key`. */
  apiKey: string | null;
  /** Runs the exports `POST /data` asks for. */
  exporter: Exporter;
  logger: Logger;
  /** Version shown in the OpenAPI document. */
  version?: string;
  /**
   * Origins whose pages may call the API from a browser (CORS): a list such as
   * `['https://app.example.com']`, or `'*'` for any. Default: none, and no CORS headers at all.
   */
  corsOrigins?: readonly string[] | '*' | null;
}

/** Response headers a page on another origin may read: paging, freshness and caching. */
const EXPOSED_HEADERS = ['Link', 'X-Total-Count', 'X-Data-Stale', 'X-Data-Age-Ms', 'X-Data-Incomplete', 'ETag'];

/** The Express app over a transformer. Each route parses its input, calls the library once, and shapes the answer. */
export function createApp(transformer: UserDataTransformer, config: AppConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every body for its ETag: megabytes per unfiltered answer. That one gets a
  // version-based ETag instead.
  app.set('etag', false);
  app.set('query parser', parseQueryString);
  app.use(accessLog(config.logger));
  if (config.metrics) app.use(config.metrics.middleware());
  app.use(boundedQuery());
  app.use(securityHeaders());
  const origins = config.corsOrigins;
  if (origins === '*' || (origins && origins.length > 0)) {
    app.use(cors({ origin: origins === '*' ? '*' : [...origins], exposedHeaders: EXPOSED_HEADERS }));
  }
  app.use(compression({ filter: shouldCompress }));
  const context: RouteContext = {
    transformer,
    exporter: config.exporter,
    apiKey: config.apiKey,
    metrics: config.metrics,
    fresh: freshness(transformer, {
      readyTimeoutMs: config.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      maxStalenessMs: config.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS,
      logger: config.logger,
    }),
    openapi: {},
  };
  const routes = ROUTES.filter((r) => r.enabled?.(context) ?? true);
  context.openapi = buildOpenApiDocument(config.version ?? '0.0.0', routes);
  app.use(dashboardAssets());
  for (const route of routes) addRoute(app, route, context);
  app.use('/docs', onlyMethods(['GET', 'HEAD'], methodNotAllowed('/docs', ['GET', 'HEAD', 'OPTIONS'])), apiDocsPage(context.openapi));
  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}; see /docs for the API`);
  });
  app.use(errorHandler(config.logger));
  return app;
}

/**
 * The API docs page (swagger-ui), loaded on its first request: its bundle costs the process about
 * 16 MB of memory, which a service nobody reads the docs of need not carry.
 */
function apiDocsPage(openapi: object): RequestHandler {
  let page: Promise<express.Router> | undefined;
  return (req, res, next) => {
    page ??= import('swagger-ui-express').then(({ default: swaggerUi }) => express.Router().use(swaggerUi.serve, swaggerUi.setup(openapi)));
    page.then((router) => router(req, res, next), next);
  };
}

/** A route's handlers, then `OPTIONS` and `405` for every method it does not answer. */
function addRoute(app: express.Express, route: Route, context: RouteContext): void {
  for (const [method, operation] of Object.entries(route.operations)) app[method as 'get' | 'post'](route.path, ...operation.handlers(context));
  const allowed = allowedMethods(route);
  app.options(route.path, (_req, res) => void res.set('Allow', allowed.join(', ')).status(204).end());
  app.all(route.path, methodNotAllowed(route.path, allowed));
}

function methodNotAllowed(path: string, allowed: readonly string[]): RequestHandler {
  return (req, res) => {
    res.set('Allow', allowed.join(', '));
    throw new MethodNotAllowedError(
      req.method,
      path,
      allowed.filter((m) => m !== 'HEAD' && m !== 'OPTIONS'),
    );
  };
}

/** The middleware's choice (text, JSON, …), plus NDJSON, which its type list does not know. */
function shouldCompress(req: Request, res: Response): boolean {
  return compression.filter(req, res) || /^application\/x-ndjson\b/.test(String(res.getHeader('Content-Type') ?? ''));
}

/** Everything `npm start` runs: the parts, and the app over them. */
export interface Service extends ServiceParts {
  app: express.Express;
}

/**
 * The service built from its configuration, as `npm start` builds it; nothing runs until
 * `startRefreshing`. `store` replaces the one the configuration describes.
 */
export function buildService(config: Config, logger: Logger, store?: ObjectStore): Service {
  const parts = buildParts(config, logger, store);
  const app = createApp(parts.transformer, {
    readyTimeoutMs: config.readyTimeoutMs,
    apiKey: config.apiKey,
    corsOrigins: config.corsOrigins,
    exporter: parts.exporter,
    logger,
    metrics: parts.metrics,
    version: packageVersion(),
  });
  return { ...parts, app };
}

export interface RunningServer extends Service {
  server: Server;
  scheduler: Scheduler | undefined;
}

/**
 * Runs the service as `npm start` does: the configuration from `env` (a bad one is one message and
 * exit 1), background refresh, listening, the export schedule, and a graceful shutdown on SIGTERM.
 * A listen that fails (port in use, an address this machine lacks) is one line and exit 1.
 */
export async function startServer(env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const config = readConfig(env);
  const logger = createLogger(config.logLevel);
  // Every expected failure is handled where it happens; anything else is logged, not fatal,
  // since the cache and the last good output are still worth serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason, event: 'unhandled_rejection' }, 'unhandled rejection'));
  const service = buildService(config, logger);
  const server = await listen(service.app, config, logger);
  if (config.apiKey === null && !isLoopback(config.host)) {
    logger.warn(
      { event: 'open_export', host: config.host },
      `POST /data (export now) is open to anyone who reaches ${config.host}:${config.port}; set API_KEY to require it in header x-api-key`,
    );
  }
  startRefreshing(service, config, logger);
  let scheduler: Scheduler | undefined;
  if (config.outputCron) {
    scheduler = startScheduler(config.outputCron, () => service.exporter.runIfIdle('schedule'), logger);
    // A first export as soon as the data is loaded, so the output exists without waiting for a tick.
    service.exporter.run('boot').catch(() => undefined);
  }
  installShutdown({ server, transformer: service.transformer, exporter: service.exporter, scheduler, logger });
  return { ...service, server, scheduler };
}
