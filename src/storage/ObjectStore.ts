/** One object as a listing reports it. */
export interface ObjectInfo {
  /** Full key, e.g. `source_data/1001.csv`. */
  key: string;
  /** Opaque fingerprint of the content; changes whenever the content does. */
  etag: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time. */
  lastModified: Date;
}

export interface ListOptions {
  /** Called now and then with the number of objects listed so far, for progress displays. */
  onProgress?: (listed: number) => void;
  /**
   * Called with each batch of objects as the listing finds them (an S3 page, a few thousand files
   * of a folder), before `list` resolves, so a caller can work while the listing goes on. The
   * batches together are exactly what `list` resolves with; when the listing fails, whatever was
   * received is void. A store may also deliver nothing this way: callers then use the result.
   */
  onObjects?: (objects: readonly ObjectInfo[]) => void;
  /** Aborts the listing; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface GetOptions {
  /**
   * Largest body accepted, in bytes. A larger object is refused with `ObjectRejectedError`
   * without reading more than this many bytes (plus one) of it.
   */
  maxBytes?: number;
  /**
   * The size the listing reported. A body of another length is a failed download
   * (`IntegrityError`), never data: the store or the network cut it short.
   */
  expectedSize?: number;
  /**
   * The etag the listing reported. Where it is a plain MD5 (32 hex digits, not a multipart
   * etag), the body's MD5 must match it, or the download fails with `IntegrityError`.
   */
  expectedEtag?: string;
  /** Aborts the download; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What changed under a watched prefix, as a hint: the key, not the content. */
export interface ChangeEvent {
  /** The key that was written, replaced or deleted. */
  key: string;
  /** `removed` when the object is known to be gone; `changed` otherwise (created or rewritten). */
  kind: 'changed' | 'removed';
  /** The object as a listing would describe it, when the source knows (a `stat`, a notification record). */
  object?: ObjectInfo;
}

export interface Watcher {
  /** Stops watching and releases its resources. */
  close(): Promise<void>;
}

export interface WatchHandlers {
  /**
   * The stream is established: events from now on will arrive. Called once per (re)connection;
   * whatever changed before it is the caller's to find with a listing.
   */
  onOpen?: () => void;
  /** A change under the prefix. May arrive more than once per write; callers coalesce. */
  onChange: (event: ChangeEvent) => void;
  /**
   * The event source failed (a watcher died, a notification stream dropped). Events may have been
   * lost: callers should run a full listing. The store reconnects by itself with backoff.
   */
  onError: (error: Error) => void;
}

/**
 * The small contract every backend implements. "Not found" is a value (`null`); real failures
 * (network, permissions, a store that is down) throw `StoreUnavailableError`; an object the store
 * refuses to serve (too large, a link out of a local root, a special file) throws
 * `ObjectRejectedError`.
 */
export interface ObjectStore {
  /** Short name for logs and reports, without credentials, e.g. `s3://datalake@host:9000` or `file:///srv/data`. */
  readonly name: string;
  /**
   * Every object whose key starts with `prefix`, at any depth, each once, in no particular order
   * (callers must not depend on one: S3 lists in UTF-8 byte order, a folder in whatever order its
   * walk finds files). Never a partial list: throws instead. A store with real folders throws
   * `StoreUnavailableError` when the folder the prefix names does not exist (a moved or mistyped
   * source is an outage, not an empty one); a store without folders (S3) lists nothing.
   */
  list(prefix: string, options?: ListOptions): Promise<ObjectInfo[]>;
  /** The object's bytes, or `null` when there is no such key. */
  get(key: string, options?: GetOptions): Promise<Buffer | null>;
  /** Writes the whole object at once: readers see the old content or the new one, never a mix. */
  put(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /** Resolves when the store answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  /**
   * Optional: change events under `prefix` (file-system events, bucket notifications). Only a
   * hint: events can be lost, so callers still reconcile with full listings.
   */
  watch?(prefix: string, handlers: WatchHandlers): Watcher;
  /** Releases sockets, watchers and timers. */
  close(): Promise<void>;
}
