import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import {
  DEFAULT_PAGE_ROWS,
  encodeParquet,
  isUnfiltered,
  PARQUET_MEDIA_TYPE,
  USER_ROW_SCHEMA,
  type UserDataTransformer,
  type UserFilters,
  type UserRow,
} from '../../index.js';
import { OPEN, STALE_HEADERS, errorAnswer, header, queryParameters, schemaOf } from '../apiDoc.js';
import { VersionedBodies, type ContentCoding } from '../bodyCache.js';
import { ClientGoneError } from '../httpErrors.js';
import { chooseFormat, contentTypeOf, encodeAll, encodeAllSteps, encoderFor, type RowEncoder } from '../formats.js';
import { asBuffer } from '../../util/buffers.js';
import { Pacer } from '../../util/pacer.js';
import type { Operation } from './route.js';
import { DATA_QUERY_SCHEMA, encodeCursor, filterParameters, parseQuery, toFilters, type DataQuery, type Format } from '../../converters/queryString.js';

/** `GET /data`. */
export const listUsers: Operation = {
  handlers: (ctx) => [ctx.fresh, dataHandler(ctx.transformer)],
  doc: {
    operationId: 'listUsers',
    summary: 'Users matching the filters, sorted by user_id (numeric-aware), whole or a page at a time',
    description:
      'Paged when limit or cursor is given: follow the Link rel="next" until there is none to get every matching user exactly once, ' +
      'even if users are added or removed in between. The format comes from format= or else the Accept header. ' +
      'The unfiltered, unpaged answer carries an ETag and honours If-None-Match.',
    security: OPEN,
    parameters: queryParameters(DATA_QUERY_SCHEMA),
    responses: {
      200: {
        description: 'matching users',
        headers: {
          ...STALE_HEADERS,
          'X-Total-Count': header('paged answers: users matching the filters, on all pages', 'integer'),
          Link: header('paged answers with more rows: <url>; rel="next", the same query with the cursor of the next page'),
          ETag: header('unfiltered, unpaged answers: changes whenever the data does'),
        },
        content: {
          'application/json': { schema: schemaOf(z.array(USER_ROW_SCHEMA)) },
          'text/csv': { schema: { type: 'string', description: "the output file's columns and quoting; each page starts with the header line" } },
          'application/x-ndjson': { schema: { ...schemaOf(USER_ROW_SCHEMA), description: 'one such object per line' } },
          [PARQUET_MEDIA_TYPE]: {
            schema: {
              type: 'string',
              format: 'binary',
              description:
                'a Parquet file of the same columns: user_id, first_name, last_name as UTF-8 text, birthts a timestamp (ms, UTC), img_path text or null; Snappy-compressed; each page a file of its own',
            },
          },
        },
      },
      304: { description: 'not modified: If-None-Match holds the current ETag' },
      400: errorAnswer('bad query parameter, limit or cursor'),
      406: errorAnswer(`the Accept header admits none of application/json, text/csv, application/x-ndjson, ${PARQUET_MEDIA_TYPE}`),
      503: errorAnswer('the first load has not finished (not_ready), or the store is unreachable and nothing is cached'),
    },
  },
};

/** Rows encoded per write when a large answer is streamed: about 100 KB of JSON. */
const STREAM_CHUNK_ROWS = 1_000;

/** `GET /data`: the matching users in `user_id` order, whole or a page at a time, as JSON, CSV, NDJSON or Parquet. */
function dataHandler(transformer: UserDataTransformer): RequestHandler {
  const unfiltered = new VersionedBodies();
  const jsonCache = new WeakMap<UserRow, string>();
  const { escapeFormulas } = transformer.options;
  return async (req, res) => {
    const query = parseQuery(DATA_QUERY_SCHEMA, req.query as Record<string, unknown>);
    const filters = toFilters(query);
    const format = chooseFormat(req, query.format);
    res.vary('Accept');
    res.type(contentTypeOf(format));
    if (query.limit !== undefined || query.cursor !== undefined) {
      const rows = pageRows(req, res, transformer, { query, filters, format });
      // Without the per-row JSON cache: a page is at most 10,000 rows, and a client paging through
      // everything would otherwise leave a string for every row behind (about 40 MB per 100,000 users).
      res.send(
        format === 'parquet'
          ? asBuffer(await encodeParquet(rows, undefined, { signal: untilClosed(res) }))
          : encodeAll(encoderFor(format, { escapeFormulas }), rows),
      );
    } else if (isUnfiltered(filters)) {
      const table = transformer.table;
      // Parquet is compressed inside: compressing it again costs time and saves nothing.
      const coding = format === 'parquet' ? 'identity' : chooseCoding(req);
      const cached = await unfiltered.get(table.version, format, coding, () => bodyOf(format, table.rows, escapeFormulas));
      res.vary('Accept-Encoding').set('ETag', cached.etag);
      if (cached.coding !== 'identity') res.set('Content-Encoding', cached.coding);
      res.send(cached.body); // send() answers 304 when the client's copy matches
    } else if (format === 'parquet') {
      res.send(asBuffer(await encodeParquet(transformer.rows(filters), undefined, { signal: untilClosed(res) })));
    } else {
      await streamRows(res, encoderFor(format, { escapeFormulas, jsonCache }), transformer.rows(filters));
    }
  };
}

/** The whole answer in `format`, built in slices that let other requests in between. */
async function bodyOf(format: Format, rows: readonly UserRow[], escapeFormulas: boolean): Promise<Buffer> {
  if (format === 'parquet') return asBuffer(await encodeParquet(rows));
  return new Pacer().drive(encodeAllSteps(encoderFor(format, { escapeFormulas }), rows));
}

interface PageRequest {
  query: DataQuery;
  filters: UserFilters;
  format: Format;
}

/** One page's rows; the total goes in `X-Total-Count` and, while rows follow, an RFC 8288 `Link` to the next. */
function pageRows(req: Request, res: Response, transformer: UserDataTransformer, { query, filters, format }: PageRequest): readonly UserRow[] {
  const limit = query.limit ?? DEFAULT_PAGE_ROWS;
  const page = transformer.page({ ...filters, limit, after: query.cursor });
  res.set('X-Total-Count', String(page.total));
  const last = page.rows.at(-1);
  if (page.hasMore && last) {
    const params = filterParameters(query);
    params.set('limit', String(limit));
    params.set('format', format);
    params.set('cursor', encodeCursor(last.user_id));
    res.set('Link', `<${req.baseUrl}${req.path}?${params}>; rel="next"`);
  }
  return page.rows;
}

/** Aborted when the client goes: a Parquet answer nobody waits for is not built to the end. */
function untilClosed(res: Response): AbortSignal {
  // Gone already (while the request waited for the first load): `close` will not come again.
  if (res.destroyed) return AbortSignal.abort(new ClientGoneError());
  const controller = new AbortController();
  res.once('close', () => controller.abort(new ClientGoneError()));
  return controller.signal;
}

/** Small answers in one piece; large ones a chunk at a time, waiting whenever the socket is full. */
async function streamRows(res: Response, encoder: RowEncoder, rows: readonly UserRow[]): Promise<void> {
  if (rows.length <= STREAM_CHUNK_ROWS) {
    res.send(encodeAll(encoder, rows));
    return;
  }
  const drained = drainWaiter(res);
  res.write(encoder.head);
  for (let i = 0; i < rows.length; i += STREAM_CHUNK_ROWS) {
    if (res.destroyed) return;
    if (!res.write(encoder.encode(rows.slice(i, i + STREAM_CHUNK_ROWS), i > 0))) await drained();
  }
  res.end(encoder.tail);
}

/**
 * Waits for `drain`, or for the client to go (no `drain` comes then). One listener per answer, not
 * one per wait: the compression middleware hands `drain` listeners to its zlib stream, where
 * `once` cannot remove them again, so a listener per wait piles up for the life of the answer.
 */
function drainWaiter(res: Response): () => Promise<void> {
  let wake: (() => void) | undefined;
  const resume = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  res.on('drain', resume);
  res.on('close', resume);
  return () =>
    new Promise<void>((resolve) => {
      if (res.destroyed) resolve();
      else wake = resolve;
    });
}

/** The client's preferred coding among those the cache makes (`identity` if it admits none). */
function chooseCoding(req: Request): ContentCoding {
  const coding = req.acceptsEncodings(['br', 'gzip', 'identity']);
  return coding === 'br' || coding === 'gzip' ? coding : 'identity';
}
