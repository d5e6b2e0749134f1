import type { RequestHandler } from 'express';
import { NO_QUERY_SCHEMA, parseQuery } from '../../converters/queryString.js';
import type { UserDataTransformer } from '../../index.js';
import { OPEN, errorAnswer, json } from '../apiDoc.js';
import { SYNC_STATUS_SCHEMA, type SyncStatus } from '../schemas.js';
import type { Operation } from './route.js';

/** `GET /sync`. */
export const getSyncStatus: Operation = {
  handlers: (ctx) => [syncStatusHandler(ctx.transformer)],
  doc: {
    operationId: 'getSyncStatus',
    summary: 'Whether a sync runs now, and the last successful one with its report and failing files',
    security: OPEN,
    responses: { 200: json('sync status', SYNC_STATUS_SCHEMA), 400: errorAnswer('this route takes no query parameters') },
  },
};

/** `GET /sync`: whether a sync runs now and the last successful one, report and failing files included. Starts none. */
function syncStatusHandler(transformer: UserDataTransformer): RequestHandler {
  return (req, res) => {
    parseQuery(NO_QUERY_SCHEMA, req.query as Record<string, unknown>);
    const last = transformer.lastSync;
    const body: SyncStatus = {
      running: transformer.syncing,
      lastSync: last
        ? {
            startedAt: new Date(last.startedAtMs).toISOString(),
            finishedAt: new Date(last.atMs).toISOString(),
            durationMs: last.report.durationMs,
            report: last.report,
          }
        : null,
    };
    res.json(body);
  };
}
