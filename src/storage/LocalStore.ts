import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { InvalidInputError, StoreUnavailableError, UdtError, requiredOption } from '../errors.js';
import { clipKey } from './body.js';
import { isInside, readInsideRoot } from './localRead.js';
import { watchLocalFolder } from './localWatch.js';
import type { GetOptions, ListOptions, ObjectInfo, ObjectStore } from './ObjectStore.js';
import { raceAbort } from './retry.js';

export interface LocalStoreOptions {
  /** Folder that plays the bucket; keys are paths relative to it, with `/` separators. Required. */
  root: string;
  /** How many `stat` calls a listing runs at once. Default 64. */
  statConcurrency?: number;
}

const DEFAULT_STAT_CONCURRENCY = 64;
/** A listing reports progress after this many more objects, and once at the end. */
const PROGRESS_EVERY_OBJECTS = 1000;
/** Infix of in-progress writes; listings skip such files. */
const TEMP_MARKER = '.udt-tmp-';
/** A key segment that would climb out of the root. */
const UNSAFE_SEGMENT = /^\.\.?$/;

/**
 * A local folder as an object store, so everything runs on a machine with no object store.
 *
 * The etag is `<size>-<mtime in ns>` (hex), read from `stat`: listing never reads file contents,
 * so a warm sync of 100k files costs 100k `stat` calls, not 100k reads. An edit that keeps both
 * the byte size and the nanosecond mtime would go unnoticed; ordinary writes always move mtime.
 */
export function createLocalStore(options: LocalStoreOptions): ObjectStore {
  if (!options?.root) throw requiredOption('createLocalStore', 'root');
  const root = path.resolve(options.root);
  const limit = pLimit(options.statConcurrency ?? DEFAULT_STAT_CONCURRENCY);

  function toPath(key: string): string {
    const segments = key.split('/');
    if (key.startsWith('/') || segments.some((s) => UNSAFE_SEGMENT.test(s))) {
      throw new InvalidInputError(`key ${JSON.stringify(key)} is not a relative path inside the store`);
    }
    return path.join(root, ...segments);
  }

  async function describe(key: string, file: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(file, { bigint: true });
      if (!s.isFile()) return null;
      return { key, etag: `${s.size.toString(16)}-${s.mtimeNs.toString(16)}`, size: Number(s.size), lastModified: new Date(Number(s.mtimeMs)) };
    } catch (error) {
      if (isMissing(error)) return null; // deleted between readdir and stat
      throw unavailable(`stat ${key}`, error);
    }
  }

  async function list(prefix: string, options: ListOptions = {}): Promise<ObjectInfo[]> {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    // A missing root is an unmounted volume, not an empty bucket: publishing from it would
    // overwrite the output with nothing.
    await ping();
    // Walk only the deepest folder the prefix names, never the whole root.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash + 1);
    if (!(await startInsideRoot(dirKey))) return [];
    const found: Promise<ObjectInfo | null>[] = [];
    let failure: unknown;
    let listed = 0;
    let reported = 0;

    // Links are listed as what they point to; `get` refuses those that leave the root. Per-file
    // link checks belong there, not here: a listing costs one `stat` per file and no more.
    async function describeCounted(key: string): Promise<ObjectInfo | null> {
      if (signal?.aborted || failure) return null;
      try {
        const info = await describe(key, path.join(root, ...key.split('/')));
        if (info && ++listed - reported >= PROGRESS_EVERY_OBJECTS) onProgress?.((reported = listed));
        return info;
      } catch (error) {
        failure ??= error;
        return null;
      }
    }

    async function walk(keyDir: string): Promise<void> {
      signal?.throwIfAborted();
      let entries;
      try {
        entries = await readdir(keyDir ? toPath(keyDir) : root, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return; // an absent folder is an empty prefix, as in S3
        throw unavailable(`list ${keyDir || '/'}`, error);
      }
      const subdirs: Promise<void>[] = [];
      for (const entry of entries) {
        const key = keyDir + entry.name;
        // A linked folder is not a directory entry, so it is never walked: it could lead anywhere.
        if (entry.isDirectory()) {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) subdirs.push(walk(key + '/'));
        } else if (key.startsWith(prefix) && !entry.name.includes(TEMP_MARKER)) {
          found.push(limit(() => describeCounted(key)));
        }
      }
      await Promise.all(subdirs);
    }

    async function walkAll(): Promise<ObjectInfo[]> {
      try {
        await walk(dirKey);
      } catch (error) {
        failure ??= error; // the stats still queued see it and skip
        throw error;
      }
      const objects = (await Promise.all(found)).filter((i): i is ObjectInfo => i !== null);
      if (failure) throw failure;
      onProgress?.(objects.length);
      return objects;
    }
    return raceAbort(walkAll(), signal);
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
    if (isInside(await realpath(root), real)) return true;
    throw new StoreUnavailableError(`local store: ${clipKey(dirKey)} is a link to a folder outside the store root ${root}`);
  }

  async function get(key: string, options: GetOptions = {}): Promise<Buffer | null> {
    options.signal?.throwIfAborted();
    const read = readInsideRoot(root, toPath(key), key, options).catch((error: unknown) => {
      if (error instanceof UdtError || options.signal?.aborted) throw error;
      if (isMissing(error)) return null; // deleted while being opened
      throw unavailable(`get ${clipKey(key)}`, error);
    });
    return raceAbort(read, options.signal);
  }

  async function put(key: string, body: Buffer | string, _contentType: string): Promise<void> {
    const file = toPath(key);
    // Write a sibling temp file and rename it over the target: readers never see half a file.
    const temp = `${file}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
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
    close: async () => undefined,
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
