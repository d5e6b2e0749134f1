import type { ChangeEvent, ObjectStore, Watcher } from '../storage/ObjectStore.js';

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export interface StoreWatchHooks {
  onChange(event: ChangeEvent): void;
  /** Events flow from now on; `reopened` after a failure, when what changed meanwhile needs a listing. */
  opened(reopened: boolean): void;
  /** Events may have been lost; reopened `retryInMs` from now (`null`: the store has none, not retried). */
  failed(error: unknown, retryInMs: number | null): void;
}

/**
 * The store's own change events (`ObjectStore.watch`: file-system events, MinIO's listen API), kept
 * open: a stream that fails is reopened with backoff; one the store does not have is given up.
 */
export class StoreWatch {
  readonly #store: ObjectStore;
  readonly #prefix: string;
  readonly #hooks: StoreWatchHooks;
  readonly #now: () => number;
  #watcher: Watcher | undefined;
  #live = false;
  #retryMs = RETRY_FIRST_MS;
  #stopped = false;
  /** When the current stream was established; `-Infinity` before any. */
  openedAtMs = -Infinity;

  constructor(store: ObjectStore, prefix: string, hooks: StoreWatchHooks, now: () => number) {
    this.#now = now;
    this.#store = store;
    this.#prefix = prefix;
    this.#hooks = hooks;
  }

  get live(): boolean {
    return this.#live;
  }

  open(): void {
    if (!this.#store.watch || this.#stopped) return;
    try {
      this.#watcher = this.#store.watch(this.#prefix, {
        onOpen: () => this.#opened(),
        onChange: (event) => this.#hooks.onChange(event),
        onError: (error) => this.#failed(error),
      });
    } catch (error) {
      this.#failed(error);
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.#live = false;
    await this.#watcher?.close().catch(() => undefined);
  }

  #opened(): void {
    if (this.#stopped) return;
    const reopened = this.openedAtMs !== -Infinity;
    this.#live = true;
    this.openedAtMs = this.#now();
    this.#retryMs = RETRY_FIRST_MS;
    this.#hooks.opened(reopened);
  }

  #failed(error: unknown): void {
    if (this.#stopped) return;
    this.#live = false;
    const unsupported = (error as { code?: unknown } | undefined)?.code === 'watch_unsupported';
    const retryInMs = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    const old = this.#watcher;
    this.#watcher = undefined;
    void old?.close().catch(() => undefined);
    this.#hooks.failed(error, unsupported ? null : retryInMs);
    // A store that has no change stream at all is listed from then on, without asking again.
    if (!unsupported) setTimeout(() => this.open(), retryInMs).unref();
  }
}
