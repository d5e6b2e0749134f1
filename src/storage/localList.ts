import { availableParallelism } from 'node:os';
import { StoreUnavailableError } from '../errors.js';
import type { ListOptions, ObjectInfo } from './ObjectStore.js';
import type { Worker } from 'node:worker_threads';
import { startWorker, type WorkerModules } from './workerSource.js';

/** Objects per message from the listing worker: a few milliseconds of work for the event loop each. */
const BATCH_OBJECTS = 2048;
/**
 * Threads that list one folder together: each reads every directory entry (cheap) and stats the
 * files whose names hash to it (the cost), so two of them take about half the time of one.
 */
const LISTING_THREADS = Math.min(2, availableParallelism());
/** A listing reports progress after this many more objects, and once at the end. */
const PROGRESS_EVERY_OBJECTS = 1000;

export interface FolderWalk {
  /** The store's root folder. */
  root: string;
  /** Key of the folder the walk starts in (`''` or ending in `/`), already checked to be inside the root. */
  dirKey: string;
  /** Only keys starting with this are listed. */
  prefix: string;
  /** File names containing this are in-progress writes, not objects. */
  tempMarker: string;
}

type WalkMessage =
  | { type: 'batch'; keys: string[]; etags: string[]; sizes: Float64Array; mtimes: Float64Array }
  | { type: 'failed'; action: string; message: string; code?: string }
  | { type: 'done' };

/**
 * Lists a folder tree from a worker thread: one `stat` per file, issued synchronously there, which
 * costs a fraction of an asynchronous `stat` per file on the event loop (no promise, no thread-pool
 * hand-off per file). The event loop only turns each batch into `ObjectInfo`s, a few milliseconds at
 * a time. Aborting terminates the worker at once.
 */
export function listFolder(walk: FolderWalk, options: ListOptions = {}): Promise<ObjectInfo[]> {
  const { signal, onProgress, onObjects } = options;
  return new Promise<ObjectInfo[]>((resolve, reject) => {
    const shares = LISTING_THREADS;
    const workers = Array.from({ length: shares }, (_, share) =>
      startWorker(walkFolder, { ...walk, batchObjects: BATCH_OBJECTS, share, shares }, { background: true }),
    );
    const objects: ObjectInfo[] = [];
    let reported = 0;
    let settled = false;
    const finish = (error: unknown, value?: ObjectInfo[]) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const worker of workers) {
        // The listeners hold the objects: a terminated worker may linger until its exit event.
        worker.removeAllListeners('message');
        void worker.terminate();
      }
      if (value) resolve(value);
      else reject(error);
    };
    const onAbort = () => finish(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const failed = (detail: string, cause?: unknown) =>
      finish(new StoreUnavailableError(`local store: cannot list ${walk.dirKey || '/'}: ${detail}`, cause === undefined ? undefined : { cause }));
    const finished = new Set<Worker>();
    const onMessage = (worker: Worker, message: WalkMessage) => {
      if (settled) return;
      try {
        if (message.type === 'batch') {
          const batch = listedFiles(message);
          for (const object of batch) objects.push(object);
          onObjects?.(batch);
          if (objects.length - reported >= PROGRESS_EVERY_OBJECTS) onProgress?.((reported = objects.length));
        } else if (message.type === 'failed') {
          const cause = Object.assign(new Error(message.message), { code: message.code });
          finish(new StoreUnavailableError(`local store: cannot ${message.action}: ${message.message}`, { cause }));
        } else {
          finished.add(worker);
          if (finished.size < workers.length) return;
          onProgress?.(objects.length);
          finish(undefined, objects);
        }
      } catch (error) {
        finish(error); // a throwing callback ends the listing, as a throwing progress callback always has
      }
    };
    for (const worker of workers) {
      worker.on('message', (message: WalkMessage) => onMessage(worker, message));
      worker.on('error', (error) => failed(`the listing thread failed: ${error.message}`, error));
      worker.on('exit', (code) => {
        if (!finished.has(worker)) failed(`the listing thread stopped early (exit code ${code})`);
      });
    }
  });
}

/**
 * A listed file. Its `Date` is made when first asked for: a sync reads it for images only, and one
 * `Date` per file would make up a third of the memory a million-file listing allocates.
 */
class ListedFile implements ObjectInfo {
  constructor(
    readonly key: string,
    readonly etag: string,
    readonly size: number,
    readonly modifiedMs: number,
  ) {}

  get lastModified(): Date {
    return new Date(this.modifiedMs);
  }

  toJSON(): ObjectInfo {
    return { key: this.key, etag: this.etag, size: this.size, lastModified: this.lastModified };
  }
}

function listedFiles(batch: Extract<WalkMessage, { type: 'batch' }>): ListedFile[] {
  const { keys, etags, sizes, mtimes } = batch;
  const files = new Array<ListedFile>(keys.length);
  for (let i = 0; i < keys.length; i++) files[i] = new ListedFile(keys[i]!, etags[i]!, sizes[i]!, mtimes[i]!);
  return files;
}

/**
 * The worker: walks depth-first, never into linked folders (a link is not a directory entry, and
 * could lead anywhere), and lists a linked file as what it points to; `get` refuses the links that
 * leave the root. Runs as shipped source: only its parameters and globals are in scope.
 */
function walkFolder({ fs, path, workerThreads }: WorkerModules, data: FolderWalk & { batchObjects: number; share: number; shares: number }): void {
  const port = workerThreads.parentPort!;
  const { root, prefix, tempMarker, share, shares } = data;
  /** Which thread stats a file: a function of its name alone, so it holds whatever order each thread reads the folder in. */
  const mine = (name: string) => {
    let hash = 0;
    for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
    return (hash >>> 0) % shares === share;
  };
  let keys: string[] = [];
  let etags: string[] = [];
  let sizes: number[] = [];
  let mtimes: number[] = [];
  const flush = () => {
    if (keys.length > 0) port.postMessage({ type: 'batch', keys, etags, sizes: Float64Array.from(sizes), mtimes: Float64Array.from(mtimes) });
    keys = [];
    etags = [];
    sizes = [];
    mtimes = [];
  };
  const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');
  const fail = (action: string, error: unknown) => {
    const { message, code } = error as NodeJS.ErrnoException;
    port.postMessage({ type: 'failed', action, message: String(message), code });
  };
  const folders = [data.dirKey];
  while (folders.length > 0) {
    const keyDir = folders.pop()!;
    const dirPath = keyDir ? path.join(root, keyDir) : root;
    // Names are single path segments: appending them to the folder's path is what path.join would give.
    const dirPrefix = dirPath.endsWith(path.sep) ? dirPath : dirPath + path.sep;
    let dir;
    try {
      dir = fs.opendirSync(dirPath, { bufferSize: 1024 });
    } catch (error) {
      if (isMissing(error)) continue; // an absent folder is an empty prefix, as in S3
      return fail(`list ${keyDir || '/'}`, error);
    }
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        const key = keyDir + entry.name;
        if (entry.isDirectory()) {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) folders.push(key + '/');
          continue;
        }
        if (!key.startsWith(prefix) || entry.name.includes(tempMarker) || !mine(entry.name)) continue;
        let s;
        try {
          s = fs.statSync(dirPrefix + entry.name, { bigint: true, throwIfNoEntry: false });
        } catch (error) {
          if (isMissing(error)) continue; // deleted between the directory read and the stat
          return fail(`stat ${key}`, error);
        }
        if (!s?.isFile()) continue;
        keys.push(key);
        etags.push(`${s.size.toString(16)}-${s.mtimeNs.toString(16)}`);
        sizes.push(Number(s.size));
        mtimes.push(Number(s.mtimeMs));
        if (keys.length >= data.batchObjects) flush();
      }
    } catch (error) {
      return fail(`list ${keyDir || '/'}`, error);
    } finally {
      dir.closeSync();
    }
  }
  flush();
  port.postMessage({ type: 'done' });
}
