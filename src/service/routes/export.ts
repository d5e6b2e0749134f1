import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { InvalidInputError } from '../../index.js';
import { errorAnswer, json } from '../apiDoc.js';
import type { Exporter } from '../exporter.js';
import { UnauthorizedError } from '../httpErrors.js';
import { EXPORT_RESULT_SCHEMA } from '../schemas.js';
import type { Operation } from './route.js';

/** `POST /data`. */
export const exportNow: Operation = {
  handlers: (ctx) => [exportHandler(ctx.exporter, ctx.apiKey)],
  doc: {
    operationId: 'exportNow',
    summary: 'Export now: sync, then write the output CSV',
    security: [{ apiKey: [] }],
    responses: {
      200: json('sync report and output key', EXPORT_RESULT_SCHEMA),
      400: errorAnswer('this route takes no query parameters'),
      401: errorAnswer('missing or wrong API key'),
      503: errorAnswer('store unreachable, or the sync incomplete (incomplete_sync); nothing was written'),
    },
  },
};

/** `POST /data`: an export (sync, then write the output), behind the export lock. */
function exportHandler(exporter: Exporter, apiKey: string | null): RequestHandler {
  return async (req, res) => {
    if (apiKey !== null && !sameSecret(req.get('x-api-key'), apiKey)) {
      res.set('WWW-Authenticate', 'ApiKey header="x-api-key"');
      throw new UnauthorizedError('POST /data needs header x-api-key with the service API key');
    }
    const given = Object.keys(req.query as object);
    if (given.length > 0) {
      throw new InvalidInputError(`POST /data takes no query parameters; got ${given.slice(0, 3).join(', ')}`, { code: 'unknown_parameter', field: given[0] });
    }
    res.json(await exporter.run('api'));
  };
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
