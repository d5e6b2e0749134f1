import { mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, StoreUnavailableError, UdtError, requiredOption } from '../../errors.js';
import { TEMP_MARKER, writeFileAtomic } from '../../util/atomicWrite.js';
import { clipKey } from '../body.js';
import { ListingThreads } from './listingThreads.js';
import { listFolder } from './list.js';
import { answerOf, isInside } from './read.js';
import { LocalReader } from './reader.js';
import { watchLocalFolder } from './watch.js';
import type { GetOptions, ListOptions, ObjectInfo, ObjectStore } from '../ObjectStore.js';

export interface LocalStoreOptions {
  /** Folder that plays the bucket; keys are paths relative to it, with `/` separators. Required. */
  root: string;
}

/** A key with a segment `.` or `..`, which would climb out of the root. */
const UNSAFE_KEY = /(?:^|\/)\.\.?(?:\/|$)/;
/** A key of non-empty segments: no leading, trailing or doubled `/`. */
const PLAIN_KEY = /^[^/]+(?:\/[^/]+)*$/;

/**
 * A local folder as an object store, so everything runs on a machine with no object store.
 *
 * The etag is `<size>-<mtime in ns>` (hex), read from `stat`: listing never reads file contents,
 * so a warm sync of 100k files costs 100k `stat` calls, not 100k reads. Listings run on a worker
 * thread (see `listFolder`), so the event loop stays free while a million files are stat'ed. An edit that keeps both
 * the byte size and the nanosecond mtime would go unnoticed; ordinary writes always move mtime.
 */
export function createLocalStore(options: LocalStoreOptions): ObjectStore {
  if (!options?.root) throw requiredOption('createLocalStore', 'root');
  const root = path.resolve(options.root);
  const reader = new LocalReader(root);
  const listingThreads = new ListingThreads();

  const rootWithSep = root.endsWith(path.sep) ? root : root + path.sep;
  function toPath(key: string): string {
    if (key.startsWith('/') || UNSAFE_KEY.test(key)) {
      throw new InvalidInputError(`key ${JSON.stringify(key)} is not a relative path inside the store`);
    }
    // A key without empty segments is already the normalised relative path: no need for path.join.
    return path.sep === '/' && PLAIN_KEY.test(key) ? rootWithSep + key : path.join(root, ...key.split('/'));
  }

  async function list(prefix: string, options: ListOptions = {}): Promise<ObjectInfo[]> {
    options.signal?.throwIfAborted();
    // A missing root is an unmounted volume, not an empty bucket: publishing from it would
    // overwrite the output with nothing.
    await ping();
    // Walk only the deepest folder the prefix names, never the whole root.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash + 1);
    if (!(await startInsideRoot(dirKey))) {
      // A folder store can tell a missing folder from an empty one: a source folder moved away or
      // mistyped is an outage, never an empty source whose export would publish nothing.
      throw new StoreUnavailableError(`local store: the folder ${clipKey(dirKey)} does not exist in ${root}`);
    }
    options.signal?.throwIfAborted();
    return listFolder({ root, dirKey, prefix, tempMarker: TEMP_MARKER }, listingThreads, options);
  }

  /**
   * Whether the folder a listing starts from is inside the root once links are resolved; `false`
   * when it does not exist. A prefix folder that is a link out of the root is an error, not an empty
   * listing: its files could not be read, and an empty answer would drop every user.
   */
  async function startInsideRoot(dirKey: string): Promise<boolean> {
    if (!dirKey) return true;
    let real: string;
    try {
      real = await realpath(toPath(dirKey));
    } catch (error) {
      if (isMissing(error)) return false;
      throw unavailable(`list ${dirKey}`, error);
    }
    if (!isInside(await realpath(root), real)) {
      throw new StoreUnavailableError(`local store: ${clipKey(dirKey)} is a link to a folder outside the store root ${root}`);
    }
    if (!(await stat(real)).isDirectory()) throw new StoreUnavailableError(`local store: ${clipKey(dirKey)} is not a folder`);
    return true;
  }

  async function get(key: string, options: GetOptions = {}): Promise<Buffer | null> {
    options.signal?.throwIfAborted();
    const file = toPath(key);
    try {
      return answerOf(await reader.read(file, options), key, options);
    } catch (error) {
      if (error instanceof UdtError || options.signal?.aborted) throw error;
      if (isMissing(error)) return null; // deleted while being opened
      throw unavailable(`get ${clipKey(key)}`, error);
    }
  }

  async function put(key: string, body: Buffer | string, _contentType: string): Promise<void> {
    const file = toPath(key);
    // Folders under the root are made as needed, the root never: a mistyped or unmounted root must
    // stay missing (an outage), not become an empty store.
    await ping();
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, body, { intoSpecialFiles: false });
    } catch (error) {
      throw unavailable(`put ${key}`, error);
    }
  }

  async function ping(): Promise<void> {
    try {
      const s = await stat(root);
      if (!s.isDirectory()) throw new Error('not a directory');
    } catch (error) {
      throw unavailable(`open root ${root}`, error);
    }
  }

  return {
    name: `file://${root}`,
    list,
    get,
    put,
    ping,
    watch: (prefix, handlers) => watchLocalFolder(root, prefix, handlers),
    close: async () => {
      await Promise.all([reader.close(), listingThreads.close()]);
    },
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function unavailable(action: string, cause: unknown): StoreUnavailableError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(`local store: cannot ${action}: ${detail}`, { cause });
}
