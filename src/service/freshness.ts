import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { UdtError, type UserDataTransformer } from '../index.js';

export class NotReadyError extends UdtError {
  constructor(waitedMs: number) {
    super('not_ready', 503, `the first load of the data has not finished within ${waitedMs} ms; retry shortly (see /health/ready)`);
  }
}

export interface FreshnessConfig {
  /** Before the first load, reads wait this long, then answer 503 `not_ready`. */
  readyTimeoutMs: number;
  /**
   * Only for a transformer that was not `start()`ed (the library-only mode): reads sync first when
   * the table is older than this. A started transformer refreshes in the background and reads
   * never wait for the store.
   */
  maxStalenessMs: number;
  logger: Logger;
}

/**
 * Runs before every read of the table. Reads answer from memory; only before the first load do
 * they wait (bounded). Every answer says how old its data is (`X-Data-Age-Ms`), whether the last
 * refresh failed (`X-Data-Stale`) and whether the last sync missed files (`X-Data-Incomplete`).
 */
export function freshness(transformer: UserDataTransformer, config: FreshnessConfig): RequestHandler {
  return async (_req, res, next) => {
    if (!transformer.started) {
      const { stale, error } = await transformer.ensureFresh(config.maxStalenessMs);
      if (stale) config.logger.warn({ event: 'sync_failed', error }, 'sync failed; answering from the cache');
    } else if (!transformer.status.loaded) {
      await transformer.whenReady(config.readyTimeoutMs).catch(() => {
        throw new NotReadyError(config.readyTimeoutMs);
      });
    }
    const status = transformer.status;
    res.set('X-Data-Age-Ms', String(status.dataAgeMs ?? 0));
    if (status.stale) res.set('X-Data-Stale', 'true');
    if (!status.complete) res.set('X-Data-Incomplete', 'true');
    next();
  };
}
