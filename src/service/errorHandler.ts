import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { describeError, UdtError } from '../index.js';
import { ClientGoneError } from './httpErrors.js';

/** Seconds a 503 asks the client to wait: about one background refresh. */
const RETRY_AFTER_S = 5;

/**
 * The one place errors become HTTP responses: `{ error: { code, message } }`. Every `UdtError`
 * carries its code and status; a client error from Express (a bad body) keeps its status; anything
 * else is a logged 500 that shows nothing of the cause.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // Its answer was given up because the client went away: nobody to answer, nothing to report.
    if (error instanceof ClientGoneError) return;
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
