import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { NO_QUERY_SCHEMA, parseQuery } from '../../converters/queryString.js';
import { PARQUET_MEDIA_TYPE, type UserDataTransformer } from '../../index.js';
import { OPEN, errorAnswer } from '../apiDoc.js';
import { NotFoundError } from '../httpErrors.js';
import type { Operation, RouteContext } from './route.js';

/** One exported file: which key holds it, and how it is served. */
interface OutputFile {
  operationId: string;
  contentType: string;
  description: string;
  /** The file's key, or `null` when the service writes no such file. */
  keyOf: (ctx: RouteContext) => string | null;
  /** Why there is none, when `keyOf` gives `null`. */
  disabled?: string;
}

function outputOperation(file: OutputFile): Operation {
  return {
    handlers: (ctx) => [outputHandler(ctx.transformer, file.keyOf(ctx), file)],
    doc: {
      operationId: file.operationId,
      summary: `${file.description}, as the store holds it`,
      security: OPEN,
      responses: {
        200: {
          description: 'the last export, with an ETag of its content',
          content: {
            [file.contentType.split(';')[0]!]: { schema: file.contentType.startsWith('text/') ? { type: 'string' } : { type: 'string', format: 'binary' } },
          },
        },
        304: { description: 'not modified: If-None-Match holds the current ETag' },
        400: errorAnswer('this route takes no query parameters'),
        404: errorAnswer(`nothing exported yet${file.disabled ? `, or ${file.disabled}` : ''}`),
        503: errorAnswer('store unreachable'),
      },
    },
  };
}

/** `GET /output.csv`. */
export const getOutput = outputOperation({
  operationId: 'getOutput',
  contentType: 'text/csv; charset=utf-8',
  description: 'The exported output CSV',
  keyOf: (ctx) => ctx.exporter.outputKey,
});

/** `GET /output.parquet`. */
export const getOutputParquet = outputOperation({
  operationId: 'getOutputParquet',
  contentType: PARQUET_MEDIA_TYPE,
  description: 'The same export as Parquet',
  keyOf: (ctx) => ctx.transformer.options.outputParquetKey,
  disabled: 'OUTPUT_PARQUET_KEY is off',
});

/** The last exported file, byte for byte as the store holds it; a client polling it with If-None-Match gets 304 until the next export changes it. */
function outputHandler(transformer: UserDataTransformer, key: string | null, file: OutputFile): RequestHandler {
  return async (req, res) => {
    parseQuery(NO_QUERY_SCHEMA, req.query as Record<string, unknown>);
    if (key === null) throw new NotFoundError(`no such file is written: ${file.disabled ?? 'it is disabled'}`);
    const body = await transformer.store.get(key);
    if (body === null) throw new NotFoundError(`nothing exported to ${key} yet; POST /data exports now`);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    res.type(file.contentType).set('Cache-Control', 'no-cache').set('ETag', etag).send(body); // send() answers 304 when it matches
  };
}
