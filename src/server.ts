import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { parseFilterQuery } from './converters/query.js';
import { MethodNotAllowedError, NotFoundError, UdtError, UnauthorizedError, describeError } from './errors.js';
import type { UserFilters } from './model.js';
import { buildOpenApiDocument } from './openapi.js';
import type { OutputPublisher } from './publisher.js';
import type { UserDataTransformer } from './UserDataTransformer.js';

export interface AppConfig {
  /** Reads sync first when the last sync is older than this; 0 syncs on every read. */
  maxStalenessMs: number;
  /** When set, `POST /data` requires this value in header `x-api-key`. */
  apiKey: string | null;
  publisher: OutputPublisher;
  logger: Logger;
  /** Version shown in the OpenAPI document. */
  version?: string;
}

const ROUTES: Record<string, string[]> = { '/data': ['GET', 'POST'], '/stats': ['GET'], '/health': ['GET'], '/openapi.json': ['GET'] };

/** The Express app over a transformer. Each route parses its input, calls the library once, and shapes the answer. */
export function createApp(transformer: UserDataTransformer, config: AppConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every body for its ETag: megabytes per unfiltered answer. That one gets a
  // version-based ETag below instead.
  app.set('etag', false);
  app.use(
    pinoHttp({
      logger: config.logger,
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: { req: (req: Request) => ({ method: req.method, url: req.url }), res: (res: Response) => ({ status: res.statusCode }) },
    }),
  );
  const openapi = buildOpenApiDocument(config.version ?? '0.0.0');
  const unfiltered = new UnfilteredBody();

  /** Syncs when the cache is too old; marks the answer stale when the store is down but a cache exists. */
  async function fresh(res: Response): Promise<void> {
    const { stale, error } = await transformer.ensureFresh(config.maxStalenessMs);
    if (!stale) return;
    res.set('X-Data-Stale', 'true');
    config.logger.warn({ event: 'sync_failed', error }, 'sync failed; answering from the cache');
  }

  app.get('/data', async (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    await fresh(res);
    res.type('application/json');
    if (isUnfiltered(filters)) {
      const { etag, body } = unfiltered.get(transformer);
      res.set('ETag', etag).send(body); // send() answers 304 when the client's copy matches
      return;
    }
    res.send(serializeRows(transformer.rows(filters)));
  });

  app.get('/stats', async (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    await fresh(res);
    const { averageAge, count } = transformer.averageAge(filters);
    res.json({ average_age: averageAge, count });
  });

  app.post('/data', async (req, res) => {
    if (config.apiKey !== null && !sameSecret(req.get('x-api-key'), config.apiKey)) {
      throw new UnauthorizedError('POST /data needs header x-api-key with the service API key');
    }
    const { users, output, sync } = await config.publisher.run('api');
    res.json({ users, output, sync });
  });

  app.get('/health', async (_req, res) => {
    const last = transformer.lastSync;
    const exp = config.publisher.lastExport;
    const body = {
      status: 'ok' as 'ok' | 'unavailable',
      store: transformer.store.name,
      users: transformer.table.rows.length,
      lastSync: last ? { at: new Date(last.atMs).toISOString(), durationMs: last.report.durationMs, failed: last.report.failed.length } : null,
      lastExport: exp ?? null,
    };
    try {
      await transformer.store.ping();
      res.json(body);
    } catch (error) {
      res.status(503).json({ ...body, status: 'unavailable', error: { code: 'store_unavailable', message: describeError(error) } });
    }
  });

  app.get('/openapi.json', (_req, res) => void res.json(openapi));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openapi));

  for (const [path, methods] of Object.entries(ROUTES)) {
    app.all(path, (req, res) => {
      res.set('Allow', methods.join(', '));
      throw new MethodNotAllowedError(req.method, path, methods);
    });
  }
  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}; see /docs for the API`);
  });
  app.use(errorHandler(config.logger));
  return app;
}

/** The one place errors become HTTP responses: `{ error: { code, message } }`. */
function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof UdtError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message } });
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

function isUnfiltered(filters: UserFilters): boolean {
  return filters.imageExists === undefined && filters.minAge === undefined && filters.maxAge === undefined;
}

/**
 * The unfiltered answer is the same bytes until the table changes, so it is built once per table
 * version: a large `GET /data` costs a buffer write, and memory stays flat across requests.
 */
class UnfilteredBody {
  /** Distinguishes table versions of different processes behind one load balancer. */
  readonly #instance = randomBytes(4).toString('hex');
  #version = -1;
  #body = Buffer.alloc(0);

  get(transformer: UserDataTransformer): { etag: string; body: Buffer } {
    const { version, rows } = transformer.table;
    if (version !== this.#version) {
      this.#body = Buffer.from(serializeRows(rows));
      this.#version = version;
    }
    return { etag: `"${this.#instance}-${version}"`, body: this.#body };
  }
}

function serializeRows(rows: readonly { user_id: string; first_name: string; last_name: string; birthts: number; img_path: string | null }[]): string {
  // Only the API's columns, in their documented order; extra CSV columns stay out of the response.
  const parts = rows.map((r) =>
    JSON.stringify({ user_id: r.user_id, first_name: r.first_name, last_name: r.last_name, birthts: r.birthts, img_path: r.img_path }),
  );
  return `[${parts.join(',')}]`;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

