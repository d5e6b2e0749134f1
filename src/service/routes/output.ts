import type { RequestHandler } from 'express';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import type { Exporter } from '../exporter.js';
import { NotFoundError } from '../httpErrors.js';
import { NO_QUERY_SCHEMA, parseQuery } from '../query.js';

/** `GET /output.csv`: the last exported file, byte for byte as the store holds it. */
export function outputHandler(transformer: UserDataTransformer, exporter: Exporter): RequestHandler {
  return async (req, res) => {
    parseQuery(NO_QUERY_SCHEMA, req.query as Record<string, unknown>);
    const body = await transformer.store.get(exporter.outputKey);
    if (body === null) {
      throw new NotFoundError(`nothing exported to ${exporter.outputKey} yet; POST /data exports now`);
    }
    res.type('text/csv; charset=utf-8').set('Cache-Control', 'no-cache').send(body);
  };
}
