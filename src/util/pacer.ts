import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Steps } from './steps.js';

/** Longest a pass over the cache keeps the event loop before letting other work in. */
const SLICE_MS = 10;
/** Items between two looks at the clock: reading it per item would cost more than the items. */
const ITEMS_PER_CHECK = 1024;

/**
 * Splits a long pass over a million users into slices of about `SLICE_MS`, so requests served by
 * the same event loop wait milliseconds, not seconds, while a sync runs. Use it as
 * `if (pacer.due()) await pacer.pause();` once per item. An aborted sync stops at the next pause
 * (it throws the signal's reason), so an abandoned run never goes on changing the cache.
 */
export class Pacer {
  readonly #signal: AbortSignal | undefined;
  #count = 0;
  #sliceStartedMs = performance.now();

  constructor(signal?: AbortSignal) {
    this.#signal = signal;
  }

  /** Whether the current slice is used up. Cheap: looks at the clock every `ITEMS_PER_CHECK` calls. */
  due(): boolean {
    if (++this.#count % ITEMS_PER_CHECK !== 0) return false;
    return performance.now() - this.#sliceStartedMs >= SLICE_MS;
  }

  /** Runs a computation written as steps (a generator) to its end, pausing between steps whenever the slice is used up. */
  async drive<T>(steps: Steps<T>): Promise<T> {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (performance.now() - this.#sliceStartedMs >= SLICE_MS) await this.pause();
    }
  }

  /** Lets queued work run, then starts a new slice; throws once the sync is aborted. */
  async pause(): Promise<void> {
    await nextTurn();
    this.#signal?.throwIfAborted();
    this.#sliceStartedMs = performance.now();
  }
}
