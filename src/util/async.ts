export interface RetryOptions {
  /** Extra attempts after the first. */
  retries: number;
  /** Delay before the first retry; doubles each time, with jitter. */
  baseDelayMs: number;
  /** Whether an error is worth another attempt. */
  isRetriable: (error: unknown) => boolean;
  /** Once aborted, no further attempt starts and the signal's reason is thrown. */
  signal?: AbortSignal;
}

/** Runs `fn`, retrying transient failures with exponential backoff; rethrows the last error. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (error) {
      signal?.throwIfAborted();
      if (attempt >= options.retries || !options.isRetriable(error)) throw error;
      await sleep(options.baseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2), signal);
    }
  }
}

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with the signal's reason the moment it aborts. The work behind
 * `promise` is not stopped by this; callers cancel it themselves (destroy the request or stream).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Settles like `work`, or rejects with `makeError()` once `ms` have passed; `onLate` hears of it
 * first (to cancel the work behind the promise). The work itself is not stopped by this.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, makeError: () => Error, onLate?: (error: Error) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = makeError();
      onLate?.(error);
      reject(error);
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
