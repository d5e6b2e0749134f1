import type { RequestHandler } from 'express';
import { describeError } from '../../errors.js';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import type { Exporter } from '../exporter.js';
import type { Health } from '../schemas.js';

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
