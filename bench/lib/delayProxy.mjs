// A proxy in front of the bench's s3rver that makes every ListObjectsV2 request take a fixed extra
// time, as a distant server does (AWS S3: about 75 ms a page), and records when each page started
// and ended. Every other request passes straight through. The bench runs it in a process of its own
// (bench/listingProxy.mjs).
//
// s3rver walks and stats its whole folder and reads a metadata file per key for every page, on one
// thread: at 10,000 users its own time per page is several times the 75 ms, and pages asked for at
// once queue behind each other there. So the proxy can also answer the listing pages itself, from a
// copy of the prefix's listing taken from s3rver beforehand (`replayFrom`): then a page costs the
// 75 ms and the proxy's few milliseconds, and what is measured is the client.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const utf8Order = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const MAX_PAGE_KEYS = 1000;

function forward(target, req, res, onAnswered) {
  const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
    up.on('end', () => onAnswered?.());
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

/** Opaque to the client, and never all digits (the client's XML parser would make it a number). */
const tokenOf = (key) => `t${Buffer.from(key).toString('base64url')}`;
const keyOfToken = (token) => Buffer.from(token.slice(1), 'base64url').toString();

/** Index of the first of `keys` (in S3's order) after `after`. */
function firstAfter(keys, after) {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (utf8Order(keys[mid], after) > 0) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** A ListObjectsV2 answer over a sorted copy of one prefix's objects, as S3 words it with `encoding-type=url`. */
function replayPage(copy, bucket, query) {
  if (query.get('prefix') !== copy.prefix || query.get('delimiter')) return undefined;
  const token = query.get('continuation-token');
  const after = token ? keyOfToken(token) : (query.get('start-after') ?? '');
  const from = after ? firstAfter(copy.keys, after) : 0;
  const maxKeys = Math.min(MAX_PAGE_KEYS, Number(query.get('max-keys') ?? MAX_PAGE_KEYS));
  const page = copy.objects.slice(from, from + maxKeys);
  const truncated = from + maxKeys < copy.objects.length;
  const contents = page.map(
    (o) =>
      `<Contents><Key>${encodeURIComponent(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
      `<ETag>&quot;${o.etag}&quot;</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
  );
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<Name>${bucket}</Name><Prefix>${encodeURIComponent(copy.prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
    `<EncodingType>url</EncodingType><IsTruncated>${truncated}</IsTruncated>` +
    (truncated ? `<NextContinuationToken>${tokenOf(page.at(-1).key)}</NextContinuationToken>` : '') +
    `${contents.join('')}</ListBucketResult>`
  );
}

/**
 * Records one page per listing request: `startedMs` and `endedMs` at the proxy, and `serverMs`, the
 * time s3rver took to answer after the delay (absent for a replayed page).
 */
export async function startDelayProxy(targetEndpoint, { delayMs }) {
  const target = new URL(targetEndpoint);
  const pages = [];
  let copy = null;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (req.method !== 'GET' || url.searchParams.get('list-type') !== '2') return forward(target, req, res);
    const page = { startedMs: performance.now() };
    pages.push(page);
    const ended = () => (page.endedMs ??= performance.now());
    res.on('finish', ended).on('close', ended);
    setTimeout(() => {
      const body = copy && replayPage(copy, url.pathname.split('/')[1], url.searchParams);
      if (body === undefined || body === null) {
        const sent = performance.now();
        return forward(target, req, res, () => (page.serverMs = performance.now() - sent));
      }
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, delayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    /** The pages recorded since the last call. */
    takePages: () => pages.splice(0),
    /** From now on, listing pages of `prefix` are answered from `objects` (a listing of it) instead of s3rver. */
    replayFrom(prefix, objects) {
      const sorted = [...objects].sort((a, b) => utf8Order(a.key, b.key));
      copy = { prefix, objects: sorted, keys: sorted.map((o) => o.key) };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
