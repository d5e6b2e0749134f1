import type { MessagePort } from 'node:worker_threads';
import type { WorkerModules } from '../../util/worker.js';

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

/** One thread's part of a walk: the files whose names hash to `share` of `shares`. */
export interface WalkRequest extends FolderWalk {
  batchObjects: number;
  share: number;
  shares: number;
}

export type WalkMessage =
  | { type: 'batch'; keys: string[]; etags: string[]; sizes: Float64Array; mtimes: Float64Array }
  | { type: 'failed'; action: string; message: string; code?: string }
  | { type: 'done' };

/** One walk in progress on a listing thread. */
interface Walker {
  fs: WorkerModules['fs'];
  path: WorkerModules['path'];
  port: MessagePort;
  walk: WalkRequest;
  keys: string[];
  etags: string[];
  sizes: number[];
  mtimes: number[];
}

/*
 * Every function here runs on a listing thread as shipped source (see `startWorker`): they may
 * call each other, but nothing imported (the test runner rewrites imported names).
 */

/**
 * A listing thread: walks a folder per request, depth-first, never into linked folders (a link is
 * not a directory entry, and could lead anywhere), listing a linked file as what it points to;
 * `get` refuses the links that leave the root. Runs as shipped source with `WALK_HELPERS`.
 */
export function serveWalks({ fs, path, workerThreads }: WorkerModules): void {
  const port = workerThreads.parentPort!;
  port.on('message', (walk: WalkRequest) => walkFolder({ fs, path, port, walk, keys: [], etags: [], sizes: [], mtimes: [] }));
}

/** Posts the walk's files in batches, then `done`; or `failed` at the first error. */
function walkFolder(w: Walker): void {
  const folders = [w.walk.dirKey];
  while (folders.length > 0) {
    const failure = walkDirectory(w, folders.pop()!, folders);
    if (failure) return void w.port.postMessage(failure);
  }
  flushBatch(w);
  w.port.postMessage({ type: 'done' } satisfies WalkMessage);
}

/** Lists one folder: its files into the batch, its sub-folders onto `folders`. */
function walkDirectory(w: Walker, keyDir: string, folders: string[]): WalkMessage | undefined {
  const dirPath = keyDir ? w.path.join(w.walk.root, keyDir) : w.walk.root;
  // Names are single path segments: appending them to the folder's path is what path.join would give.
  const dirPrefix = dirPath.endsWith(w.path.sep) ? dirPath : dirPath + w.path.sep;
  let dir;
  try {
    dir = w.fs.opendirSync(dirPath, { bufferSize: 1024 });
  } catch (error) {
    return isMissingFile(error) ? undefined : walkFailure(`list ${keyDir || '/'}`, error); // an absent folder is an empty prefix, as in S3
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      const key = keyDir + entry.name;
      if (entry.isDirectory()) {
        if ((key + '/').startsWith(w.walk.prefix) || w.walk.prefix.startsWith(key + '/')) folders.push(key + '/');
      } else if (key.startsWith(w.walk.prefix) && !entry.name.includes(w.walk.tempMarker) && isMine(entry.name, w.walk)) {
        const failure = statFile(w, key, dirPrefix + entry.name);
        if (failure) return failure;
      }
    }
    return undefined;
  } catch (error) {
    return walkFailure(`list ${keyDir || '/'}`, error);
  } finally {
    dir.closeSync();
  }
}

/** Adds a file to the batch as its `stat` describes it; a link to a folder or a special file is no object. */
function statFile(w: Walker, key: string, file: string): WalkMessage | undefined {
  let s;
  try {
    s = w.fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    return isMissingFile(error) ? undefined : walkFailure(`stat ${key}`, error); // deleted since the folder was read
  }
  if (!s?.isFile()) return undefined;
  w.keys.push(key);
  w.etags.push(`${s.size.toString(16)}-${s.mtimeNs.toString(16)}`);
  w.sizes.push(Number(s.size));
  w.mtimes.push(Number(s.mtimeMs));
  if (w.keys.length >= w.walk.batchObjects) flushBatch(w);
  return undefined;
}

function flushBatch(w: Walker): void {
  if (w.keys.length === 0) return;
  const { keys, etags } = w;
  w.port.postMessage({ type: 'batch', keys, etags, sizes: Float64Array.from(w.sizes), mtimes: Float64Array.from(w.mtimes) } satisfies WalkMessage);
  w.keys = [];
  w.etags = [];
  w.sizes = [];
  w.mtimes = [];
}

/** Whether this thread stats the file: a function of its name alone, so it holds whatever order each thread reads the folder in. */
function isMine(name: string, walk: WalkRequest): boolean {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  return (hash >>> 0) % walk.shares === walk.share;
}

function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function walkFailure(action: string, error: unknown): WalkMessage {
  const { message, code } = error as NodeJS.ErrnoException;
  return { type: 'failed', action, message: String(message), code };
}

/** The functions `serveWalks` calls, shipped with it to the thread. */
export const WALK_HELPERS = [walkFolder, walkDirectory, statFile, flushBatch, isMine, isMissingFile, walkFailure];
