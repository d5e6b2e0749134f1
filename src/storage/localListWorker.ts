import type { WorkerModules } from './workerSource.js';

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

/**
 * The worker: walks depth-first, never into linked folders (a link is not a directory entry, and
 * could lead anywhere), and lists a linked file as what it points to; `get` refuses the links that
 * leave the root. Runs as shipped source: only its parameters and globals are in scope.
 */
export function serveWalks({ fs, path, workerThreads }: WorkerModules): void {
  const port = workerThreads.parentPort!;
  port.on('message', (walk: WalkRequest) => walkFolder(walk));

  function walkFolder(data: WalkRequest): void {
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
}
