import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactQuery } from '../util/redact.js';

/** Probes and the dashboard's files: many a minute, worth a line only when debugging. */
const QUIET_PATHS = /^\/(?:health(?:\/(?:live|ready))?|metrics|dashboard\/.*|favicon\.ico)?$/;

/**
 * One JSON line per request: method, path with secret query values redacted, status, time. A 5xx
 * the service meant (503: not ready, the store down) is a warning without a stack; only a 500 is
 * an error; probes and static files are at debug level.
 */
export function accessLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    customLogLevel: (req, res, err) => {
      if (QUIET_PATHS.test(req.url?.split('?')[0] ?? '')) return 'debug';
      if (err || res.statusCode >= 500) return res.statusCode === 503 ? 'warn' : 'error';
      return 'info';
    },
    customErrorObject: (_req, res, _error, value: Record<string, unknown>) => (res.statusCode === 503 ? { ...value, err: undefined } : value),
    serializers: { req: (req: Request) => ({ method: req.method, url: redactQuery(req.url) }), res: (res: Response) => ({ status: res.statusCode }) },
  });
}
