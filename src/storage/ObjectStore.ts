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

/**
 * The small contract every backend implements. "Not found" is a value (`null`); real failures
 * (network, permissions, a store that is down) throw `StoreUnavailableError`.
 */
export interface ObjectStore {
  /** Short name for logs and reports, e.g. `s3://datalake` or `file:///srv/data`. */
  readonly name: string;
  /**
   * Every object whose key starts with `prefix`, at any depth, each once, in no particular order
   * (callers must not depend on one: S3 lists in UTF-8 byte order, a folder in whatever order its
   * walk finds files). Never a partial list: throws instead.
   */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The object's bytes, or `null` when there is no such key. */
  get(key: string): Promise<Buffer | null>;
  /** Writes the whole object at once: readers see the old content or the new one, never a mix. */
  put(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /** Resolves when the store answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}
