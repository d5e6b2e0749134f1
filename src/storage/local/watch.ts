import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import { TEMP_MARKER } from '../../util/atomicWrite.js';
import type { ObjectInfo, WatchHandlers, Watcher } from '../ObjectStore.js';

/** How often the watched folder's identity is checked. */
const FOLDER_CHECK_MS = 1_000;

function folderIdentity(dir: string): string {
  try {
    const s = statSync(dir);
    return `${s.dev}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

/** The local store's description of a file, the same fields its listing gives. */
export function localObjectInfo(key: string, s: { size: bigint; mtimeNs: bigint; mtimeMs: bigint }): ObjectInfo {
  return { key, etag: `${s.size.toString(16)}-${s.mtimeNs.toString(16)}`, size: Number(s.size), lastModified: new Date(Number(s.mtimeMs)) };
}

/**
 * File-system events (inotify on Linux, through `fs.watch`) for the folder a prefix names. Each
 * event is checked with one `stat`, so it carries the object's size and etag, or says the file is
 * gone: no listing. Only files directly in that folder are watched, as only they can be users.
 */
export function watchLocalFolder(root: string, prefix: string, handlers: WatchHandlers): Watcher {
  const slash = prefix.lastIndexOf('/');
  const dirKey = slash < 0 ? '' : prefix.slice(0, slash + 1);
  const dir = path.join(root, ...dirKey.split('/').filter(Boolean));
  let closed = false;
  let watcher: FSWatcher;
  try {
    watcher = watchFolder();
  } catch (error) {
    // A folder that is not there (yet): said through `onError`, as every other failure, so the
    // caller lists instead and tries again later.
    queueMicrotask(() => handlers.onError(error as Error));
    return { close: async () => undefined };
  }
  function watchFolder(): FSWatcher {
    return watch(dir, { persistent: false }, (_type, filename) => onEvent(filename));
  }
  function onEvent(filename: string | Buffer | null): void {
    if (closed || !filename) return;
    const name = filename.toString();
    const key = dirKey + name;
    if (!key.startsWith(prefix) || name.includes(TEMP_MARKER)) return;
    stat(path.join(dir, name), { bigint: true }).then(
      (s) => {
        if (closed) return;
        if (s.isFile()) handlers.onChange({ key, kind: 'changed', object: localObjectInfo(key, s) });
        else if (!s.isDirectory()) handlers.onChange({ key, kind: 'removed' });
      },
      (error: NodeJS.ErrnoException) => {
        if (closed) return;
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') handlers.onChange({ key, kind: 'removed' });
        else handlers.onError(error);
      },
    );
  }
  watcher.on('error', (error) => {
    if (!closed) handlers.onError(error);
  });
  // inotify follows the folder itself, not its path: a folder moved away or replaced (a new
  // checkout, a remounted volume) would go silent with no error. Its identity is checked instead.
  const identity = folderIdentity(dir);
  const check = setInterval(() => {
    if (closed || folderIdentity(dir) === identity) return;
    closed = true;
    clearInterval(check);
    watcher.close();
    handlers.onError(new Error(`the watched folder ${dirKey || '/'} was moved or replaced`));
  }, FOLDER_CHECK_MS);
  check.unref();
  queueMicrotask(() => {
    if (!closed) handlers.onOpen?.();
  });
  return {
    async close() {
      closed = true;
      clearInterval(check);
      watcher.close();
    },
  };
}
