import type { RequestHandler } from 'express';
import { z } from 'zod';
import { describeError, type RefreshStatus, type UserDataTransformer } from '../../index.js';
import { withDeadline } from '../../util/async.js';
import { HEADERS_TOO_LARGE, OPEN, json } from '../apiDoc.js';
import type { Exporter } from '../exporter.js';
import { HEALTH_SCHEMA, READINESS_SCHEMA, type Health, type Readiness } from '../schemas.js';
import type { Operation } from './route.js';

/** `GET /health`. */
export const getHealth: Operation = {
  handlers: (ctx) => [healthHandler(ctx.transformer, ctx.exporter)],
  doc: {
    operationId: 'getHealth',
    summary: 'Whether the store answers, with the last sync and export',
    security: OPEN,
    responses: { 200: json('healthy', HEALTH_SCHEMA), 431: HEADERS_TOO_LARGE, 503: json('store unreachable', HEALTH_SCHEMA) },
  },
};

/** `GET /health/live`. */
export const getLiveness: Operation = {
  handlers: () => [liveHandler],
  doc: {
    operationId: 'getLiveness',
    summary: 'The process is up and serving HTTP (for a liveness probe)',
    security: OPEN,
    responses: { 200: json('alive', z.object({ status: z.literal('ok') })), 431: HEADERS_TOO_LARGE },
  },
};

/** `GET /health/ready`. */
export const getReadiness: Operation = {
  handlers: (ctx) => [readyHandler(ctx.transformer)],
  doc: {
    operationId: 'getReadiness',
    summary: 'A table is loaded and the store answered the last refresh (for a readiness probe)',
    security: OPEN,
    responses: { 200: json('ready', READINESS_SCHEMA), 431: HEADERS_TOO_LARGE, 503: json('loading, or the store unavailable', READINESS_SCHEMA) },
  },
};

/**
 * `GET /health`: 200 when the store answers and the last refresh listed it, 503 otherwise; the
 * last sync, the last export, readiness and data age either way.
 */
function healthHandler(transformer: UserDataTransformer, exporter: Exporter): RequestHandler {
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
      changeLog: changeLogOf(status),
      warnings: status.warnings,
    };
    try {
      await withDeadline(transformer.store.ping(), HEALTH_PING_TIMEOUT_MS, () => new Error(`the store did not answer within ${HEALTH_PING_TIMEOUT_MS} ms`));
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

/** `GET /health/live`: the process is up and serving HTTP. */
const liveHandler: RequestHandler = (_req, res) => {
  res.json({ status: 'ok' });
};

/**
 * `GET /health/ready`: 200 once a table is loaded (from a snapshot or a sync) and the store
 * answered the last refresh; 503 `loading` or `store_unavailable` otherwise, with the reason.
 */
function readyHandler(transformer: UserDataTransformer): RequestHandler {
  return (_req, res) => {
    const status = transformer.status;
    let body: Readiness;
    if (!status.loaded) {
      body = {
        status: 'loading',
        dataAgeMs: null,
        changeLog: changeLogOf(status),
        warnings: status.warnings,
        error: { code: 'loading', message: 'the first load of the data has not finished yet' },
      };
    } else if (status.stale) {
      body = {
        status: 'unavailable',
        dataAgeMs: status.dataAgeMs,
        changeLog: changeLogOf(status),
        warnings: status.warnings,
        error: { code: 'store_unavailable', message: `the last refresh failed: ${status.error ?? 'unknown error'}` },
      };
    } else {
      res.json({ status: 'ready', dataAgeMs: status.dataAgeMs, changeLog: changeLogOf(status), warnings: status.warnings } satisfies Readiness);
      return;
    }
    res.status(503).json(body);
  };
}

/** The change log's part of a status, as the health answers show it. */
function changeLogOf(status: RefreshStatus): Health['changeLog'] {
  const log = status.changeLog;
  return log && { name: log.name, mode: log.mode, position: log.position?.seq ?? null, lag: log.lag };
}
