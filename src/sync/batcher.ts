import type { ChangeEvent } from '../storage/ObjectStore.js';

/** Quiet time after an event before its batch is applied: lets the rest of a burst arrive. */
const DEBOUNCE_MS = 20;
/** An endless stream of events still gets applied this often. */
const MAX_DELAY_MS = 200;

/**
 * Collects change events into batches: one flush per burst, never two at once, each key once per
 * batch (the last event wins). A burst of 10 000 writes becomes a few batches whose downloads share
 * the sync's concurrency bound, not 10 000 fetches started at once. Events from a log carry their
 * sequence: a batch says up to which one it covers (`upTo`), also when the messages behind it held
 * no change that counts.
 */
export class ChangeBatcher {
  readonly #apply: (batch: ChangeEvent[], received: number, upTo: number | undefined) => Promise<void>;
  #pending = new Map<string, ChangeEvent>();
  #received = 0;
  #upTo: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #firstAtMs = 0;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(apply: (batch: ChangeEvent[], received: number, upTo: number | undefined) => Promise<void>) {
    this.#apply = apply;
  }

  add(event: ChangeEvent): void {
    if (this.#closed) return;
    this.#pending.set(event.key, event);
    this.#received++;
    this.#arm();
  }

  /** The events of one log message (possibly none), and its sequence. */
  addMessage(events: readonly ChangeEvent[], seq: number): void {
    if (this.#closed) return;
    for (const event of events) this.#pending.set(event.key, event);
    this.#received += events.length;
    this.#upTo = seq;
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #arm(): void {
    if (this.#timer === undefined) this.#firstAtMs = Date.now();
    clearTimeout(this.#timer);
    const waitMs = Math.min(DEBOUNCE_MS, Math.max(0, this.#firstAtMs + MAX_DELAY_MS - Date.now()));
    this.#timer = setTimeout(() => void this.#flush(), waitMs);
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    // One batch at a time: events arriving meanwhile wait for the next.
    if (this.#flushing) {
      await this.#flushing;
      if (this.#pending.size === 0 && this.#upTo === undefined) return;
    }
    const received = this.#received;
    const batch = [...this.#pending.values()];
    const upTo = this.#upTo;
    this.#pending = new Map();
    this.#received = 0;
    this.#upTo = undefined;
    if ((batch.length === 0 && upTo === undefined) || this.#closed) return;
    this.#flushing = this.#apply(batch, received, upTo).finally(() => (this.#flushing = undefined));
    await this.#flushing;
  }
}
