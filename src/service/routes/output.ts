import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { NO_QUERY_SCHEMA, parseQuery } from '../../converters/queryString.js';
import { PARQUET_MEDIA_TYPE, type UserDataTransformer } from '../../index.js';
import { OPEN, errorAnswer } from '../apiDoc.js';
import { NotFoundError, RangeNotSatisfiableError } from '../httpErrors.js';
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
          description: 'the last export, with an ETag of its content; `Range: bytes=…` (one range) answers 206 with that part',
          content: {
            [file.contentType.split(';')[0]!]: { schema: file.contentType.startsWith('text/') ? { type: 'string' } : { type: 'string', format: 'binary' } },
          },
        },
        206: {
          description: 'the requested part of the file (one byte range), for engines that read Parquet footers and columns by range',
          content: { [file.contentType.split(';')[0]!]: { schema: { type: 'string', format: 'binary' } } },
        },
        304: { description: 'not modified: If-None-Match holds the current ETag' },
        400: errorAnswer('this route takes no query parameters'),
        404: errorAnswer(`nothing exported yet${file.disabled ? `, or ${file.disabled}` : ''}`),
        416: errorAnswer('the range lies outside the file (its size is in Content-Range)'),
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

/**
 * The last exported file, byte for byte as the store holds it; a client polling it with
 * If-None-Match gets 304 until the next export changes it. One byte range is answered with 206, so
 * an engine reading Parquet over HTTP (footer first, then the columns it needs) fetches only those;
 * several ranges get the whole file, which HTTP allows.
 */
function outputHandler(transformer: UserDataTransformer, key: string | null, file: OutputFile): RequestHandler {
  return async (req, res) => {
    parseQuery(NO_QUERY_SCHEMA, req.query as Record<string, unknown>);
    if (key === null) throw new NotFoundError(`no such file is written: ${file.disabled ?? 'it is disabled'}`);
    const body = await transformer.store.get(key);
    if (body === null) throw new NotFoundError(`nothing exported to ${key} yet; POST /data exports now`);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
    res.type(file.contentType).set('Cache-Control', 'no-cache').set('ETag', etag).set('Accept-Ranges', 'bytes');
    const range = wantedRange(req, body.length, etag);
    if (range === 'unsatisfiable') {
      res.removeHeader('ETag');
      res.set('Content-Range', `bytes */${body.length}`);
      throw new RangeNotSatisfiableError(`${req.get('Range')} lies outside the file's ${body.length} bytes`);
    }
    if (range === null) return void res.send(body); // send() answers 304 when If-None-Match matches
    // A part is sent as stored: compressing it would make its offsets mean nothing.
    res.status(206).set('Cache-Control', 'no-cache, no-transform').set('Content-Range', `bytes ${range.start}-${range.end}/${body.length}`);
    res.send(body.subarray(range.start, range.end + 1));
  };
}

/** The one byte range to answer, `null` for the whole file (no Range, several, or an If-Range for another version). */
function wantedRange(req: Request, size: number, etag: string): { start: number; end: number } | null | 'unsatisfiable' {
  if (!req.get('Range')) return null;
  const ifRange = req.get('If-Range');
  if (ifRange !== undefined && ifRange !== etag) return null;
  const ranges = req.range(size, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === undefined || ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return null;
  return ranges[0]!;
}
