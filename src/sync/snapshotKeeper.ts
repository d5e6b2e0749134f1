import { describeError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotScope } from '../snapshot/codec.js';
import type { RefreshOptions } from './refresher.js';
import type { Syncer } from './syncer.js';

/**
 * Loads the cache snapshot at start and writes it back after changes, at most once per interval.
 * A snapshot that cannot be used is reported and ignored (the caller then syncs cold); a failing
 * write is reported and never fails a sync or a read.
 */
export class SnapshotKeeper {
  readonly #syncer: Syncer;
  readonly #lib: ResolvedOptions;
  readonly #o: RefreshOptions;
  #savedVersion = -1;
  #lastSaveMs = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;

  constructor(syncer: Syncer, lib: ResolvedOptions, options: RefreshOptions) {
    this.#syncer = syncer;
    this.#lib = lib;
    this.#o = options;
  }

  get #scope(): SnapshotScope {
    return { sourcePrefix: this.#lib.sourcePrefix, imageExtensions: [...this.#lib.imageExtensionSet].sort(), maxCsvBytes: this.#lib.maxCsvBytes };
  }

  /** Returns whether a snapshot was loaded into the cache. */
  async load(): Promise<boolean> {
    const key = this.#o.snapshotKey;
    if (key === null) return false;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const body = await this.#lib.store.get(key);
      if (body === null) throw new Error(`no snapshot at ${key} yet`);
      const { state, createdAtMs, users } = decodeSnapshot(body, this.#scope, this.#lib.dateKey);
      // Only into an empty cache: a sync that already ran knows better.
      if (this.#syncer.lastSync) return false;
      this.#syncer.state.entries = state.entries;
      this.#syncer.state.images = state.images;
      this.#syncer.state.dirty = true;
      this.#syncer.restored(createdAtMs);
      this.#savedVersion = this.#syncer.table.version;
      this.#o.observer.snapshotLoaded?.({ users, ageMs: Math.max(0, this.#lib.now() - createdAtMs), durationMs: elapsed() });
      return true;
    } catch (error) {
      this.#o.observer.snapshotLoaded?.({ error: describeError(error), durationMs: elapsed() });
      return false;
    }
  }

  /** The table may have changed: schedule a write if it did, no sooner than the interval allows. */
  changed(): void {
    if (this.#o.snapshotKey === null || this.#timer || this.#syncer.table.version === this.#savedVersion) return;
    const waitMs = Math.max(0, this.#lastSaveMs + this.#o.snapshotIntervalMs - this.#lib.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#saving ??= this.#save().finally(() => (this.#saving = undefined));
    }, waitMs);
    this.#timer.unref();
  }

  async idle(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#saving;
  }

  async #save(): Promise<void> {
    const key = this.#o.snapshotKey!;
    const started = performance.now();
    const version = this.#syncer.table.version;
    try {
      const body = encodeSnapshot(this.#syncer.state, this.#scope, this.#syncer.currentAtMs ?? this.#lib.now());
      await this.#lib.store.put(key, body, 'application/gzip');
      this.#savedVersion = version;
      this.#lastSaveMs = this.#lib.now();
      this.#o.observer.snapshotSaved?.({ users: this.#syncer.table.rows.length, bytes: body.length, durationMs: Math.round(performance.now() - started) });
    } catch (error) {
      this.#o.observer.snapshotSaved?.({ error: describeError(error), durationMs: Math.round(performance.now() - started) });
    }
    // Changes that landed while writing get their own write.
    this.changed();
  }
}
