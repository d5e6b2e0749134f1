import type { ChangeEvent, ObjectStore, WatchHandlers } from '../../src/storage/ObjectStore.js';

/** A real store with counters on the way through: listings, downloads, downloads in flight. */
export interface InstrumentedStore extends ObjectStore {
  readonly counts: { lists: number; gets: string[]; maxInFlight: number };
  /** Drop change events for which this returns true (lost events). */
  dropEvents: (event: ChangeEvent) => boolean;
  /** The change stream handlers of the open watcher, to fail it from a test. */
  readonly handlers: WatchHandlers | undefined;
}

export function instrument(store: ObjectStore, options: { watch?: boolean } = {}): InstrumentedStore {
  const counts = { lists: 0, gets: [] as string[], maxInFlight: 0 };
  let inFlight = 0;
  let handlers: WatchHandlers | undefined;
  const wrapped: InstrumentedStore = {
    name: store.name,
    counts,
    dropEvents: () => false,
    get handlers() {
      return handlers;
    },
    list(prefix, opts) {
      counts.lists++;
      return store.list(prefix, opts);
    },
    async get(key, opts) {
      counts.gets.push(key);
      inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, inFlight);
      try {
        return await store.get(key, opts);
      } finally {
        inFlight--;
      }
    },
    put: (key, body, type) => store.put(key, body, type),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  if (store.watch && options.watch !== false) {
    const watch = store.watch.bind(store);
    wrapped.watch = (prefix, h) => {
      handlers = h;
      return watch(prefix, { onOpen: h.onOpen, onChange: (e) => (wrapped.dropEvents(e) ? undefined : h.onChange(e)), onError: h.onError });
    };
  }
  return wrapped;
}

/** Polls `check` until it returns true; returns the milliseconds it took, or throws after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
