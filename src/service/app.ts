import compression from 'compression';
import cors from 'cors';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { DEFAULT_MAX_STALENESS_MS, DEFAULT_READY_TIMEOUT_MS } from '../defaults.js';
import { UdtError, describeError } from '../errors.js';
import type { UserDataTransformer } from '../UserDataTransformer.js';
import { boundedQuery, onlyMethods, parseQueryString, securityHeaders } from './edges.js';
import type { Exporter } from './exporter.js';
import type { Metrics } from './metrics.js';
import { MethodNotAllowedError, NotFoundError } from './httpErrors.js';
import { buildOpenApiDocument } from './openapi.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { dataHandler } from './routes/data.js';
import { exportHandler } from './routes/export.js';
import { freshness } from './routes/freshness.js';
import { healthHandler, liveHandler, readyHandler } from './routes/health.js';
import { outputHandler } from './routes/output.js';
import { ageStatsHandler, statsHandler } from './routes/stats.js';
import { syncStatusHandler } from './routes/sync.js';

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

const ROUTES: Record<string, string[]> = {
  '/': ['GET'],
  '/data': ['GET', 'POST'],
  '/stats': ['GET'],
  '/stats/ages': ['GET'],
  '/sync': ['GET'],
  '/output.csv': ['GET'],
  '/health': ['GET'],
  '/health/live': ['GET'],
  '/health/ready': ['GET'],
  '/metrics': ['GET'],
  '/openapi.json': ['GET'],
};

/** Response headers a page on another origin may read: paging, freshness and caching. */
const EXPOSED_HEADERS = ['Link', 'X-Total-Count', 'X-Data-Stale', 'X-Data-Age-Ms', 'X-Data-Incomplete', 'ETag'];

/** The Express app over a transformer. Each route parses its input, calls the library once, and shapes the answer. */
export function createApp(transformer: UserDataTransformer, config: AppConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every body for its ETag: megabytes per unfiltered answer. That one gets a
  // version-based ETag below instead.
  app.set('etag', false);
  app.set('query parser', parseQueryString);
  app.use(
    pinoHttp({
      logger: config.logger,
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: { req: (req: Request) => ({ method: req.method, url: req.url }), res: (res: Response) => ({ status: res.statusCode }) },
    }),
  );
  if (config.metrics) app.use(config.metrics.middleware());
  app.use(boundedQuery());
  app.use(securityHeaders());
  const origins = config.corsOrigins;
  if (origins === '*' || (origins && origins.length > 0)) {
    app.use(cors({ origin: origins === '*' ? '*' : [...origins], exposedHeaders: EXPOSED_HEADERS }));
  }
  app.use(compression({ filter: shouldCompress }));
  const openapi = buildOpenApiDocument(config.version ?? '0.0.0');
  const fresh = freshness(transformer, {
    readyTimeoutMs: config.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    maxStalenessMs: config.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS,
    logger: config.logger,
  });
  app.use(dashboardRoutes());
  app.get('/data', fresh, dataHandler(transformer));
  app.get('/stats', fresh, statsHandler(transformer));
  app.get('/stats/ages', fresh, ageStatsHandler(transformer));
  app.post('/data', exportHandler(config.exporter, config.apiKey));
  app.get('/sync', syncStatusHandler(transformer));
  app.get('/output.csv', outputHandler(transformer, config.exporter));
  app.get('/health', healthHandler(transformer, config.exporter));
  app.get('/health/live', liveHandler);
  app.get('/health/ready', readyHandler(transformer));
  if (config.metrics) app.get('/metrics', config.metrics.handler());
  app.get('/openapi.json', (_req, res) => void res.json(openapi));
  app.use('/docs', onlyMethods(['GET', 'HEAD'], methodNotAllowed('/docs', ['GET'])), swaggerUi.serve, swaggerUi.setup(openapi));

  for (const [path, methods] of Object.entries(ROUTES)) {
    app.options(path, (_req, res) => void res.set('Allow', allowed(methods)).status(204).end());
    app.all(path, methodNotAllowed(path, methods));
  }
  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}; see /docs for the API`);
  });
  app.use(errorHandler(config.logger));
  return app;
}

/** Every method a route answers: GET implies HEAD, and OPTIONS always works. */
function allowed(methods: readonly string[]): string {
  return [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
}

function methodNotAllowed(path: string, methods: readonly string[]): RequestHandler {
  return (req, res) => {
    res.set('Allow', allowed(methods));
    throw new MethodNotAllowedError(req.method, path, methods);
  };
}

/** The middleware's choice (text, JSON, …), plus NDJSON, which its type list does not know. */
function shouldCompress(req: Request, res: Response): boolean {
  return compression.filter(req, res) || /^application\/x-ndjson\b/.test(String(res.getHeader('Content-Type') ?? ''));
}

/** Seconds a 503 asks the client to wait: about one background refresh. */
const RETRY_AFTER_S = 5;

/** The one place errors become HTTP responses: `{ error: { code, message } }`. */
function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof UdtError) {
      // The store, the first load and a missing file are all worth another try shortly.
      if (error.status === 503) res.set('Retry-After', String(RETRY_AFTER_S));
      res.status(error.status).json({ error: { ...error.details, code: error.code, message: error.message } });
      return;
    }
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'bad_request', message: describeError(error) } });
      return;
    }
    logger.error({ err: error }, 'unexpected error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; see the service log' } });
  };
}
