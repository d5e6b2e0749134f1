import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { InvalidInputError, StoreUnavailableError, requiredOption } from '../errors.js';
import { watchLocalFolder } from './localWatch.js';
import type { ObjectInfo, ObjectStore } from './ObjectStore.js';

export interface LocalStoreOptions {
  /** Folder that plays the bucket; keys are paths relative to it, with `/` separators. Required. */
  root: string;
  /** How many `stat` calls a listing runs at once. Default 64. */
  statConcurrency?: number;
}

const DEFAULT_STAT_CONCURRENCY = 64;
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

  async function list(prefix: string): Promise<ObjectInfo[]> {
    // Walk only the deepest folder the prefix names, never the whole root.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash + 1);
    const found: Promise<ObjectInfo | null>[] = [];
    async function walk(keyDir: string): Promise<void> {
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
        if (entry.isDirectory()) {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) subdirs.push(walk(key + '/'));
        } else if (key.startsWith(prefix) && !entry.name.includes(TEMP_MARKER)) {
          found.push(limit(() => describe(key, path.join(root, ...key.split('/')))));
        }
      }
      await Promise.all(subdirs);
    }
    // A missing root is an unmounted volume, not an empty bucket: publishing from it would
    // overwrite the output with nothing.
    await ping();
    await walk(dirKey);
    return (await Promise.all(found)).filter((i): i is ObjectInfo => i !== null);
  }

  async function get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(toPath(key));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw unavailable(`get ${key}`, error);
    }
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
