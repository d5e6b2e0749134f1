import type { ChangeEvent } from '../storage/ObjectStore.js';

/** Quiet time after an event before its batch is applied: lets the rest of a burst arrive. */
const DEBOUNCE_MS = 20;
/** An endless stream of events still gets applied this often. */
const MAX_DELAY_MS = 200;

/**
 * Collects change events into batches: one flush per burst, never two at once, each key once per
 * batch (the last event wins). A burst of 10 000 writes becomes a few batches whose downloads share
 * the sync's concurrency bound, not 10 000 fetches started at once.
 */
export class ChangeBatcher {
  readonly #apply: (batch: ChangeEvent[], received: number) => Promise<void>;
  #pending = new Map<string, ChangeEvent>();
  #received = 0;
  #timer: NodeJS.Timeout | undefined;
  #firstAtMs = 0;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(apply: (batch: ChangeEvent[], received: number) => Promise<void>) {
    this.#apply = apply;
  }

  add(event: ChangeEvent): void {
    if (this.#closed) return;
    if (this.#pending.size === 0) this.#firstAtMs = Date.now();
    this.#pending.set(event.key, event);
    this.#received++;
    clearTimeout(this.#timer);
    const waitMs = Math.min(DEBOUNCE_MS, Math.max(0, this.#firstAtMs + MAX_DELAY_MS - Date.now()));
    this.#timer = setTimeout(() => void this.#flush(), waitMs);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #flush(): Promise<void> {
    // One batch at a time: events arriving meanwhile wait for the next.
    if (this.#flushing) {
      await this.#flushing;
      if (this.#pending.size === 0) return;
    }
    const received = this.#received;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    this.#received = 0;
    if (batch.length === 0 || this.#closed) return;
    this.#flushing = this.#apply(batch, received).finally(() => (this.#flushing = undefined));
    await this.#flushing;
  }
}
