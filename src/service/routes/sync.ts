import type { RequestHandler } from 'express';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import { NO_QUERY_SCHEMA, parseQuery } from '../query.js';
import type { SyncStatus } from '../schemas.js';

/** `GET /sync`: whether a sync runs now and the last successful one, report and failing files included. Starts none. */
export function syncStatusHandler(transformer: UserDataTransformer): RequestHandler {
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
