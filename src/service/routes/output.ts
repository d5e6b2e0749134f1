import type { RequestHandler } from 'express';
import { NO_QUERY_SCHEMA, parseQuery } from '../../converters/queryString.js';
import type { UserDataTransformer } from '../../index.js';
import { OPEN, errorAnswer, textAnswer } from '../apiDoc.js';
import type { Exporter } from '../exporter.js';
import { NotFoundError } from '../httpErrors.js';
import type { Operation } from './route.js';

/** `GET /output.csv`. */
export const getOutput: Operation = {
  handlers: (ctx) => [outputHandler(ctx.transformer, ctx.exporter)],
  doc: {
    operationId: 'getOutput',
    summary: 'The exported output file, as the store holds it',
    security: OPEN,
    responses: {
      200: textAnswer('the last export', 'text/csv'),
      400: errorAnswer('this route takes no query parameters'),
      404: errorAnswer('nothing exported yet'),
      503: errorAnswer('store unreachable'),
    },
  },
};

/** `GET /output.csv`: the last exported file, byte for byte as the store holds it. */
function outputHandler(transformer: UserDataTransformer, exporter: Exporter): RequestHandler {
  return async (req, res) => {
    parseQuery(NO_QUERY_SCHEMA, req.query as Record<string, unknown>);
    const body = await transformer.store.get(exporter.outputKey);
    if (body === null) {
      throw new NotFoundError(`nothing exported to ${exporter.outputKey} yet; POST /data exports now`);
    }
    res.type('text/csv; charset=utf-8').set('Cache-Control', 'no-cache').send(body);
  };
}
