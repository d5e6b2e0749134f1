import { availableParallelism } from 'node:os';
import { StoreUnavailableError } from '../../errors.js';
import type { ListOptions, ObjectInfo } from '../ObjectStore.js';
import type { Worker } from 'node:worker_threads';
import type { ListingThreads } from './listingThreads.js';
import type { FolderWalk, WalkMessage, WalkRequest } from './listWorker.js';

/** Objects per message from the listing worker: a few milliseconds of work for the event loop each. */
const BATCH_OBJECTS = 2048;
/**
 * Threads that list one folder together: each reads every directory entry (cheap) and stats the
 * files whose names hash to it (the cost), so two of them take about half the time of one.
 */
const LISTING_THREADS = Math.min(2, availableParallelism());
/** A listing reports progress after this many more objects, and once at the end. */
const PROGRESS_EVERY_OBJECTS = 1000;

/**
 * Lists a folder tree from worker threads: one `stat` per file, issued synchronously there, which
 * costs a fraction of an asynchronous `stat` per file on the event loop (no promise, no thread-pool
 * hand-off per file). The event loop only turns each batch into `ObjectInfo`s, a few milliseconds at
 * a time. Aborting (or any failure) terminates the threads at once.
 */
export function listFolder(walk: FolderWalk, threads: ListingThreads, options: ListOptions = {}): Promise<ObjectInfo[]> {
  const { signal, onProgress, onObjects } = options;
  return new Promise<ObjectInfo[]>((resolve, reject) => {
    const workers = threads.take(LISTING_THREADS);
    const objects: ObjectInfo[] = [];
    let reported = 0;
    let settled = false;
    const finish = (error: unknown, value?: ObjectInfo[]) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      // The listeners hold the objects: drop them, whatever becomes of the threads.
      for (const worker of workers) worker.removeAllListeners();
      if (value) threads.give(workers);
      else for (const worker of workers) void worker.terminate();
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
    workers.forEach((worker, share) => {
      worker.on('message', (message: WalkMessage) => onMessage(worker, message));
      worker.on('error', (error) => failed(`the listing thread failed: ${error.message}`, error));
      worker.on('exit', (code) => failed(`the listing thread stopped early (exit code ${code})`));
      worker.postMessage({ ...walk, batchObjects: BATCH_OBJECTS, share, shares: workers.length } satisfies WalkRequest);
    });
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
