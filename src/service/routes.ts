import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import type { UserRow } from '../model.js';
import { isUnfiltered } from '../query/filters.js';
import type { UserDataTransformer } from '../UserDataTransformer.js';
import type { Exporter } from './exporter.js';
import { UnauthorizedError } from './httpErrors.js';
import { parseFilterQuery } from './query.js';
import type { Health } from './schemas.js';

/** `GET /data` and `GET /stats`: parse the filters, make sure the cache is fresh enough, answer from it. */
export function queryRoutes(transformer: UserDataTransformer, config: { maxStalenessMs: number; logger: Logger }): Router {
  const router = Router();
  const unfiltered = new UnfilteredBody();
  // Rows are immutable (a change replaces the object), so a row's JSON can be kept as long as the
  // row lives: a repeated filtered query joins cached strings instead of re-encoding each row.
  // Bounded by the table: at most one string per row, dropped with the row.
  const rowJson = new WeakMap<UserRow, string>();

  /** Syncs when the cache is too old; marks the answer stale when the store is down but a cache exists. */
  async function fresh(res: Response): Promise<void> {
    const { stale, error } = await transformer.ensureFresh(config.maxStalenessMs);
    if (!stale) return;
    res.set('X-Data-Stale', 'true');
    config.logger.warn({ event: 'sync_failed', error }, 'sync failed; answering from the cache');
  }

  router.get('/data', async (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    await fresh(res);
    res.type('application/json');
    if (isUnfiltered(filters)) {
      const { etag, body } = unfiltered.get(transformer);
      res.set('ETag', etag).send(body); // send() answers 304 when the client's copy matches
      return;
    }
    res.send(serializeRows(transformer.rows(filters), rowJson));
  });

  router.get('/stats', async (req, res) => {
    const filters = parseFilterQuery(req.query as Record<string, unknown>);
    await fresh(res);
    const { averageAge, count } = transformer.averageAge(filters);
    res.json({ average_age: averageAge, count });
  });
  return router;
}

/** `POST /data`: an export (sync, then write the output), behind the export lock. */
export function exportHandler(exporter: Exporter, apiKey: string | null): RequestHandler {
  return async (req, res) => {
    if (apiKey !== null && !sameSecret(req.get('x-api-key'), apiKey)) {
      throw new UnauthorizedError('POST /data needs header x-api-key with the service API key');
    }
    res.json(await exporter.run('api'));
  };
}

/** `GET /health`: 200 when the store answers, 503 otherwise; the last sync and export either way. */
export function healthHandler(transformer: UserDataTransformer, exporter: Exporter): RequestHandler {
  return async (_req, res) => {
    const last = transformer.lastSync;
    const body: Health = {
      status: 'ok',
      store: transformer.store.name,
      users: transformer.table.rows.length,
      lastSync: last ? { at: new Date(last.atMs).toISOString(), durationMs: last.report.durationMs, failed: last.report.failed.length } : null,
      lastExport: exporter.lastExport ?? null,
    };
    try {
      await transformer.store.ping();
      res.json(body);
    } catch (error) {
      const unhealthy: Health = { ...body, status: 'unavailable', error: { code: 'store_unavailable', message: describeError(error) } };
      res.status(503).json(unhealthy);
    }
  };
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

/**
 * The API's columns only, in their documented order; extra CSV columns stay out of the response.
 * Written field by field: no intermediate object per row, and only strings need JSON escaping.
 */
export function serializeRows(rows: readonly UserRow[], cache?: WeakMap<UserRow, string>): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let json = cache?.get(r);
    if (json === undefined) {
      const img = r.img_path === null ? 'null' : JSON.stringify(r.img_path);
      json = `{"user_id":${JSON.stringify(r.user_id)},"first_name":${JSON.stringify(r.first_name)},"last_name":${JSON.stringify(r.last_name)},"birthts":${r.birthts},"img_path":${img}}`;
      cache?.set(r, json);
    }
    parts[i] = json;
  }
  return `[${parts.join(',')}]`;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
