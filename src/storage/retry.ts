export interface RetryOptions {
  /** Extra attempts after the first. */
  retries: number;
  /** Delay before the first retry; doubles each time, with jitter. */
  baseDelayMs: number;
  /** Whether an error is worth another attempt. */
  isRetriable: (error: unknown) => boolean;
}

/** Runs `fn`, retrying transient failures with exponential backoff; rethrows the last error. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.retries || !options.isRetriable(error)) throw error;
      const delayMs = options.baseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
