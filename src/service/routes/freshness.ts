import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { UserDataTransformer } from '../../UserDataTransformer.js';

/**
 * Runs before every read of the table: makes sure the cache is fresh enough, and marks the answer
 * stale when the store is down but a cache exists.
 */
export function freshness(transformer: UserDataTransformer, config: { maxStalenessMs: number; logger: Logger }): RequestHandler {
  return async (_req, res, next) => {
    const { stale, error } = await transformer.ensureFresh(config.maxStalenessMs);
    if (stale) {
      res.set('X-Data-Stale', 'true');
      config.logger.warn({ event: 'sync_failed', error }, 'sync failed; answering from the cache');
    }
    next();
  };
}
