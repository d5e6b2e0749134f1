import type { RequestHandler } from 'express';
import { describeError } from '../../errors.js';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import type { Exporter } from '../exporter.js';
import type { Health, Readiness } from '../schemas.js';

/**
 * `GET /health`: 200 when the store answers and the last refresh listed it, 503 otherwise; the
 * last sync, the last export, readiness and data age either way.
 */
export function healthHandler(transformer: UserDataTransformer, exporter: Exporter): RequestHandler {
  return async (_req, res) => {
    const last = transformer.lastSync;
    const status = transformer.status;
    const body: Health = {
      status: 'ok',
      ready: status.loaded && !status.stale,
      store: transformer.store.name,
      users: transformer.table.rows.length,
      dataAgeMs: status.dataAgeMs,
      lastSync: last ? { at: new Date(last.atMs).toISOString(), durationMs: last.report.durationMs, failed: last.report.failed.length } : null,
      lastExport: exporter.lastExport ?? null,
    };
    try {
      await withDeadline(transformer.store.ping(), HEALTH_PING_TIMEOUT_MS, `the store did not answer within ${HEALTH_PING_TIMEOUT_MS} ms`);
      // The bucket may answer while listing it fails (permissions, a broken prefix): that counts.
      if (status.stale) throw new Error(`the last refresh failed: ${status.error ?? 'unknown error'}`);
      res.json(body);
    } catch (error) {
      const unhealthy: Health = { ...body, status: 'unavailable', error: { code: 'store_unavailable', message: describeError(error) } };
      res.status(503).json(unhealthy);
    }
  };
}

/** A health check answers promptly even when the store hangs: that is when it matters most. */
const HEALTH_PING_TIMEOUT_MS = 2_000;

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** `GET /health/live`: the process is up and serving HTTP. */
export const liveHandler: RequestHandler = (_req, res) => {
  res.json({ status: 'ok' });
};

/**
 * `GET /health/ready`: 200 once a table is loaded (from a snapshot or a sync) and the store
 * answered the last refresh; 503 `loading` or `store_unavailable` otherwise, with the reason.
 */
export function readyHandler(transformer: UserDataTransformer): RequestHandler {
  return (_req, res) => {
    const status = transformer.status;
    let body: Readiness;
    if (!status.loaded) {
      body = { status: 'loading', dataAgeMs: null, error: { code: 'loading', message: 'the first load of the data has not finished yet' } };
    } else if (status.stale) {
      body = {
        status: 'unavailable',
        dataAgeMs: status.dataAgeMs,
        error: { code: 'store_unavailable', message: `the last refresh failed: ${status.error ?? 'unknown error'}` },
      };
    } else {
      res.json({ status: 'ready', dataAgeMs: status.dataAgeMs } satisfies Readiness);
      return;
    }
    res.status(503).json(body);
  };
}
