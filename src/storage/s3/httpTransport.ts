import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';

/**
 * Statuses on which the minio client gives up without reading the body (its own retry list). Left
 * unread, such an answer keeps its keep-alive socket busy until the server closes it, seconds later,
 * so a burst of 503s starves the whole pool; the transport drains or drops those bodies itself.
 */
const UNREAD_BY_CLIENT_STATUSES = new Set([408, 429, 499, 500, 502, 503, 504, 520]);
/** An error body up to this size is drained so its socket can be reused; a larger one is cut off. */
const DRAIN_LIMIT_BYTES = 256 * 1024;

/** Per-call settings for the requests made while a call runs (the client has no way to pass them). */
interface CallScope {
  signal?: AbortSignal;
}
const callScope = new AsyncLocalStorage<CallScope>();

/** Runs `fn` so that every request the transport sends on its behalf is aborted with `signal`. */
export function withCallSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return signal ? callScope.run({ signal }, fn) : fn();
}

export interface DeadlineTransport {
  /** Drop-in for `http.request`, as the minio client's `transport` option expects. */
  request: typeof http.request;
  /** Closes every socket, idle or busy. */
  destroy(): void;
}

/**
 * Keep-alive HTTP(S) with a deadline on every request: `timeoutMs` for connecting, for the first byte
 * of the answer and between any two bytes after it. The deadline is set per request, not per socket,
 * because Node resets a socket's timeout when it returns to the keep-alive pool, so a socket-level
 * timeout would cover only a connection's first request. A request past its deadline is destroyed
 * with an `ETIMEDOUT` error, which the store treats as transient.
 */
export function createDeadlineTransport(useSSL: boolean, maxSockets: number, timeoutMs: number): DeadlineTransport {
  const base = useSSL ? https : http;
  const agent = new base.Agent({ keepAlive: true, maxSockets });

  function request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest {
    const signal = callScope.getStore()?.signal;
    // `timeout` arms new sockets before they connect; setTimeout re-arms reused ones.
    const req = base.request({ ...options, agent, timeout: timeoutMs, ...(signal ? { signal } : {}) }, callback);
    let answer: http.IncomingMessage | undefined;
    req.setTimeout(timeoutMs, () => {
      const error = Object.assign(new Error(`nothing received for ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      answer?.destroy(error); // a body that stopped half-way fails with this, not a bare "aborted"
      req.destroy(error);
    });
    req.on('response', (res: http.IncomingMessage) => {
      answer = res;
      releaseUnreadAnswer(res);
    });
    return req;
  }

  return { request: request as typeof http.request, destroy: () => agent.destroy() };
}

/** Frees the socket of an error answer the client will never read: drains it, or drops it if large. */
function releaseUnreadAnswer(res: http.IncomingMessage): void {
  if (!UNREAD_BY_CLIENT_STATUSES.has(res.statusCode ?? 0)) return;
  if (Number(res.headers['content-length'] ?? 0) > DRAIN_LIMIT_BYTES) return void res.destroy();
  let drained = 0;
  // Listening switches the stream to flowing mode: the bytes are read and dropped.
  res.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) res.destroy(); // a body without a length that keeps coming
  });
}
