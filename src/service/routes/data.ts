import type { Request, RequestHandler, Response } from 'express';
import type { UserFilters, UserRow } from '../../model.js';
import { isUnfiltered } from '../../query/filters.js';
import type { UserDataTransformer } from '../../UserDataTransformer.js';
import { VersionedBodies, type ContentCoding } from '../bodyCache.js';
import { chooseFormat, contentTypeOf, encodeAll, encodeAllSteps, encoderFor, type RowEncoder } from '../formats.js';
import { Pacer } from '../../sync/pacer.js';
import { DATA_QUERY_SCHEMA, DEFAULT_PAGE_ROWS, encodeCursor, filterParameters, parseQuery, toFilters, type DataQuery, type Format } from '../query.js';

export { serializeRows } from '../formats.js';

/** Rows encoded per write when a large answer is streamed: about 100 KB of JSON. */
const STREAM_CHUNK_ROWS = 1_000;

/** `GET /data`: the matching users in `user_id` order, whole or a page at a time, as JSON, CSV or NDJSON. */
export function dataHandler(transformer: UserDataTransformer): RequestHandler {
  const unfiltered = new VersionedBodies();
  const rowJson = new WeakMap<UserRow, string>();
  return async (req, res) => {
    const query = parseQuery(DATA_QUERY_SCHEMA, req.query as Record<string, unknown>);
    const filters = toFilters(query);
    const format = chooseFormat(req, query.format);
    res.vary('Accept');
    res.type(contentTypeOf(format));
    if (query.limit !== undefined || query.cursor !== undefined) {
      sendPage(req, res, transformer, { query, filters, format });
    } else if (isUnfiltered(filters)) {
      const table = transformer.table;
      const cached = await unfiltered.get(table.version, format, chooseCoding(req), () => new Pacer().drive(encodeAllSteps(encoderFor(format), table.rows)));
      res.vary('Accept-Encoding').set('ETag', cached.etag);
      if (cached.coding !== 'identity') res.set('Content-Encoding', cached.coding);
      res.send(cached.body); // send() answers 304 when the client's copy matches
    } else {
      await streamRows(res, encoderFor(format, rowJson), transformer.rows(filters));
    }
  };
}

interface PageRequest {
  query: DataQuery;
  filters: UserFilters;
  format: Format;
}

/** One page, with the total in `X-Total-Count` and, while rows follow, an RFC 8288 `Link` to the next. */
function sendPage(req: Request, res: Response, transformer: UserDataTransformer, { query, filters, format }: PageRequest): void {
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
  // Without the per-row JSON cache: a page is at most 10,000 rows, and a client paging through
  // everything would otherwise leave a string for every row behind (about 40 MB per 100,000 users).
  res.send(encodeAll(encoderFor(format), page.rows));
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
