import type { Stats } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { WorkerModules } from './workerSource.js';

/** One read as the event loop asks for it: the path of a key under the root, and its bounds. */
export interface ReadRequest {
  id: number;
  file: string;
  /** Largest size accepted (`maxBytes`), or -1 for none. */
  limit: number;
  /** The size the listing reported, or -1 when not given. */
  expectedSize: number;
}

/**
 * What the reading thread found: facts, not errors. The event loop turns them into the store's
 * answers and errors (`localRead.ts`), so every message stays in one place.
 */
export type ReadOutcome = { id: number } & (
  | { kind: 'body'; start: number; length: number; own: ArrayBuffer | null }
  | { kind: 'none' }
  | { kind: 'loop' | 'outside' | 'zero-size-content' }
  | { kind: 'special'; type: string }
  | { kind: 'size'; size: number }
  | { kind: 'replaced' | 'shrank' | 'grew' }
  | { kind: 'failed'; code: string | undefined; message: string }
  | { kind: 'cancelled' }
);

export interface ReadBatchAnswer {
  outcomes: ReadOutcome[];
  /** Where in the ring the small bodies of this answer start; each `body` outcome says where its bytes are from there. */
  ringStart: number;
}

export interface ReaderSetup {
  root: string;
  /** `open` flags: read-only, never blocking (FIFOs), never following a final link. */
  openFlags: number;
  /** Bytes per `read` call, so a cancelled read of a large file stops between calls. */
  chunkBytes: number;
  /** Reads done are answered at once when they took this long, else with the rest of their batch. */
  answerAfterMs: number;
  /** Ids of cancelled reads arrive here, polled between files and chunks. */
  cancels: MessagePort;
  /**
   * Counts the ids posted to `cancels`. Reading a shared counter costs nanoseconds where polling an
   * empty port costs tens of microseconds, so the port is polled only when the count moved.
   */
  cancelCount: Int32Array;
  /**
   * Shared with the event loop, which copies each answer's small bodies out of it as the answer
   * arrives and then counts the answer in `answersTaken`. Nothing is allocated per answer on either
   * side, so nothing this thread allocates is freed by another: memory freed across threads
   * strands in malloc arenas, hundreds of MB of resident memory at a million files.
   */
  ring: SharedArrayBuffer;
  answersTaken: Int32Array;
}

/**
 * The reading thread: takes batches of reads and answers each batch with one message. Every file
 * is read with synchronous calls (`realpath`, `stat`, `open`, `fstat`, `read`, `close`): on this
 * thread they block nothing else, and they cost a fraction of the same calls made asynchronously
 * from the event loop, one promise and thread-pool hand-off each. Runs as shipped source: only its
 * parameters and globals are in scope.
 */
export function serveReads({ fs, path, workerThreads }: WorkerModules, setup: ReaderSetup): void {
  const port = workerThreads.parentPort!;
  const cancelled = new Set<number>();
  const drainCancels = () => {
    for (let m = workerThreads.receiveMessageOnPort(setup.cancels); m; m = workerThreads.receiveMessageOnPort(setup.cancels))
      cancelled.add(m.message as number);
  };
  const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code;
  const failed = (error: unknown): ReadOutcome => ({ id: 0, kind: 'failed', code: codeOf(error), message: String((error as Error).message) });
  const missing = (error: unknown) => codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR';
  const typeOf = (s: Stats) => (s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : 'a special file');
  const wrongSize = (size: number, r: ReadRequest) => (r.limit >= 0 && size > r.limit) || (r.expectedSize >= 0 && size !== r.expectedSize);

  /** Bodies up to this size go through the ring; larger ones get a buffer of their own. */
  const scratch = new Uint8Array(Math.min(64 * 1024, setup.ring.byteLength / 8));
  let batch = new Uint8Array(64 * 1024);
  let used = 0;
  const append = (bytes: Uint8Array) => {
    if (used + bytes.length > batch.length) {
      const grown = new Uint8Array(Math.max(batch.length * 2, used + bytes.length));
      grown.set(batch.subarray(0, used));
      batch = grown;
    }
    batch.set(bytes, used);
    used += bytes.length;
  };

  /** Reads up to size + 1 bytes: one byte more than `stat` said tells a file that grows. */
  const readAll = (fd: number, size: number, r: ReadRequest): Uint8Array | ReadOutcome['kind'] => {
    const into = size + 1 <= scratch.length ? scratch : new Uint8Array(size + 1);
    let filled = 0;
    while (filled <= size) {
      if (size >= setup.chunkBytes) {
        drainCancels();
        if (cancelled.has(r.id)) return 'cancelled';
      }
      const want = Math.min(setup.chunkBytes, size + 1 - filled);
      const n = fs.readSync(fd, into, filled, want, filled);
      if (n === 0) break;
      filled += n;
      // A short read of a regular file means its end; it came where `stat` said it would.
      if (n < want && filled === size) break;
    }
    if (filled < size) return 'shrank';
    if (filled > size) return size === 0 ? 'zero-size-content' : 'grew';
    return into.subarray(0, size);
  };

  const readOne = (r: ReadRequest, realRoot: string): ReadOutcome => {
    let real;
    try {
      real = fs.realpathSync.native(r.file);
    } catch (error) {
      if (missing(error)) return { id: r.id, kind: 'none' }; // missing, or a link to nothing
      if (codeOf(error) === 'ELOOP') return { id: r.id, kind: 'loop' };
      return { ...failed(error), id: r.id };
    }
    if (real !== realRoot && !real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep)) return { id: r.id, kind: 'outside' };
    let fd;
    let info;
    try {
      // Checked before opening: opening a device or a FIFO can have effects of its own.
      info = fs.statSync(real);
      if (info.isDirectory()) return { id: r.id, kind: 'none' }; // a folder is not an object, as in S3
      if (!info.isFile()) return { id: r.id, kind: 'special', type: typeOf(info) };
      if (wrongSize(info.size, r)) return { id: r.id, kind: 'size', size: info.size };
      fd = fs.openSync(real, setup.openFlags);
    } catch (error) {
      return missing(error) ? { id: r.id, kind: 'none' } : { ...failed(error), id: r.id };
    }
    try {
      const opened = fs.fstatSync(fd);
      if (!opened.isFile()) return { id: r.id, kind: 'special', type: typeOf(opened) };
      if (opened.ino !== info.ino || opened.dev !== info.dev) return { id: r.id, kind: 'replaced' };
      if (wrongSize(opened.size, r)) return { id: r.id, kind: 'size', size: opened.size };
      const body = readAll(fd, opened.size, r);
      if (typeof body === 'string') return { id: r.id, kind: body } as ReadOutcome;
      if (body.buffer === scratch.buffer) {
        append(body);
        return { id: r.id, kind: 'body', start: used - body.length, length: body.length, own: null };
      }
      return { id: r.id, kind: 'body', start: body.byteOffset, length: body.length, own: body.buffer as ArrayBuffer };
    } catch (error) {
      return { ...failed(error), id: r.id };
    } finally {
      fs.closeSync(fd);
    }
  };

  const ring = new Uint8Array(setup.ring);
  /** Ring regions of answers not yet taken, oldest first; they are freed in the order they were used. */
  const regions: { answer: number; start: number; end: number }[] = [];
  let answersSent = 0;
  /** Where `bytes` fit in the ring once the event loop has taken the answers before; waits for it if need be. */
  const reserve = (bytes: number): number => {
    for (;;) {
      const taken = Atomics.load(setup.answersTaken, 0);
      while (regions.length > 0 && regions[0]!.answer < taken) regions.shift();
      if (regions.length === 0) return 0;
      const tail = regions[0]!.start;
      const head = regions[regions.length - 1]!.end;
      if (head >= tail && ring.length - head >= bytes) return head;
      if (head >= tail && tail >= bytes) return 0;
      if (head < tail && tail - head >= bytes) return head;
      Atomics.wait(setup.answersTaken, 0, taken, 50);
    }
  };

  let outcomes: ReadOutcome[] = [];
  let own: ArrayBuffer[] = [];
  let since = 0;
  const answer = () => {
    const ringStart = used > 0 ? reserve(used) : 0;
    ring.set(batch.subarray(0, used), ringStart);
    if (used > 0) regions.push({ answer: answersSent, start: ringStart, end: ringStart + used });
    answersSent++;
    // Bodies of large files move to the event loop without a copy; the small ones go through the ring.
    port.postMessage({ outcomes, ringStart } satisfies ReadBatchAnswer, own);
    outcomes = [];
    own = [];
    used = 0;
    since = performance.now();
    if (batch.length > 1024 * 1024) batch = new Uint8Array(64 * 1024); // do not keep a large batch buffer around
  };

  port.on('message', (requests: ReadRequest[]) => {
    let realRoot: string | null = null;
    let rootFailure: ReadOutcome | null = null;
    try {
      realRoot = fs.realpathSync.native(setup.root);
    } catch (error) {
      rootFailure = failed(error);
    }
    since = performance.now();
    for (const r of requests) {
      drainCancels();
      let outcome: ReadOutcome;
      if (cancelled.delete(r.id)) outcome = { id: r.id, kind: 'cancelled' };
      else if (realRoot === null) outcome = { ...rootFailure!, id: r.id };
      else outcome = readOne(r, realRoot);
      cancelled.delete(r.id);
      if (outcome.kind === 'body' && outcome.own) own.push(outcome.own);
      outcomes.push(outcome);
      // Reads from the page cache are answered together; one that waited for the disk at once, so its caller goes on.
      if (performance.now() - since >= setup.answerAfterMs) answer();
    }
    if (outcomes.length > 0) answer();
  });
}
