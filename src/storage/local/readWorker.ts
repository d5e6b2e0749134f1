import type { Stats } from 'node:fs';
import type { ReadBatchAnswer, ReadOutcome, ReadRequest, Reader, ReaderSetup } from './readProtocol.js';
import type { WorkerModules } from '../../util/worker.js';

/*
 * Every function here runs on the reading thread as shipped source (see `startWorker`): they may
 * call each other, but nothing imported (the test runner rewrites imported names).
 */

/**
 * A reading thread: takes batches of reads and answers them. Every file is read with synchronous
 * calls (`realpath`, `stat`, `open`, `fstat`, `read`, `close`): on this thread they block nothing
 * else, and they cost a fraction of the same calls made asynchronously from the event loop, one
 * promise and thread-pool hand-off each. Runs as shipped source with `READ_HELPERS`.
 */
export function serveReads({ fs, path, workerThreads }: WorkerModules, setup: ReaderSetup): void {
  const reader: Reader = {
    fs,
    path,
    port: workerThreads.parentPort!,
    receive: workerThreads.receiveMessageOnPort,
    setup,
    cancelled: new Set(),
    cancelsSeen: 0,
    scratch: new Uint8Array(Math.min(64 * 1024, setup.ring.byteLength / 8)),
    batch: new Uint8Array(64 * 1024),
    used: 0,
    ring: new Uint8Array(setup.ring),
    regions: [],
    answersSent: 0,
    outcomes: [],
    own: [],
    since: 0,
  };
  reader.port.on('message', (requests: ReadRequest[]) => readBatch(reader, requests));
}

function readBatch(reader: Reader, requests: readonly ReadRequest[]): void {
  let realRoot: string | ReadOutcome;
  try {
    realRoot = reader.fs.realpathSync.native(reader.setup.root);
  } catch (error) {
    realRoot = failedRead(0, error);
  }
  reader.since = performance.now();
  for (const r of requests) {
    drainCancels(reader);
    let outcome: ReadOutcome;
    if (reader.cancelled.delete(r.id)) outcome = { id: r.id, kind: 'cancelled' };
    else if (typeof realRoot !== 'string') outcome = { ...realRoot, id: r.id };
    else outcome = readOne(reader, r, realRoot);
    reader.cancelled.delete(r.id);
    reader.outcomes.push(outcome);
    // Reads from the page cache are answered together; one that waited for the disk at once, so its caller goes on.
    if (performance.now() - reader.since >= reader.setup.answerAfterMs) answerReads(reader);
  }
  if (reader.outcomes.length > 0) answerReads(reader);
}

/** Takes in the ids of cancelled reads. Polling the port costs tens of microseconds even when it is empty; the shared count, nanoseconds. */
function drainCancels(reader: Reader): void {
  const count = Atomics.load(reader.setup.cancelCount, 0);
  if (count === reader.cancelsSeen) return;
  reader.cancelsSeen = count;
  for (let m = reader.receive(reader.setup.cancels); m; m = reader.receive(reader.setup.cancels)) reader.cancelled.add(m.message as number);
}

/** Checks the file (inside the root, a regular file, within bounds) before opening it: opening a device or a FIFO can have effects of its own. */
function readOne(reader: Reader, r: ReadRequest, realRoot: string): ReadOutcome {
  const { fs, path } = reader;
  let real;
  try {
    real = fs.realpathSync.native(r.file);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') return { id: r.id, kind: 'loop' };
    return isGone(error) ? { id: r.id, kind: 'none' } : failedRead(r.id, error); // missing, or a link to nothing
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep)) return { id: r.id, kind: 'outside' };
  let fd;
  let info;
  try {
    info = fs.statSync(real);
    if (info.isDirectory()) return { id: r.id, kind: 'none' }; // a folder is not an object, as in S3
    if (!info.isFile()) return { id: r.id, kind: 'special', type: fileType(info) };
    if (outOfBounds(info.size, r)) return { id: r.id, kind: 'size', size: info.size };
    fd = fs.openSync(real, reader.setup.openFlags);
  } catch (error) {
    return isGone(error) ? { id: r.id, kind: 'none' } : failedRead(r.id, error);
  }
  try {
    return readOpened(reader, r, fd, info);
  } catch (error) {
    return failedRead(r.id, error);
  } finally {
    fs.closeSync(fd);
  }
}

function readOpened(reader: Reader, r: ReadRequest, fd: number, info: Stats): ReadOutcome {
  const opened = reader.fs.fstatSync(fd);
  if (!opened.isFile()) return { id: r.id, kind: 'special', type: fileType(opened) };
  if (opened.ino !== info.ino || opened.dev !== info.dev) return { id: r.id, kind: 'replaced' };
  if (outOfBounds(opened.size, r)) return { id: r.id, kind: 'size', size: opened.size };
  const body = readAllOf(reader, fd, opened.size, r);
  if (typeof body === 'string') return { id: r.id, kind: body } as ReadOutcome;
  if (body.buffer !== reader.scratch.buffer) return { id: r.id, kind: 'body', start: 0, length: body.length, own: keepOwn(reader, body) };
  appendBody(reader, body);
  return { id: r.id, kind: 'body', start: reader.used - body.length, length: body.length, own: null };
}

/** Reads up to size + 1 bytes: one byte more than `stat` said tells a file that grows. */
function readAllOf(reader: Reader, fd: number, size: number, r: ReadRequest): Uint8Array | 'cancelled' | 'shrank' | 'grew' | 'zero-size-content' {
  const { chunkBytes } = reader.setup;
  const into = size + 1 <= reader.scratch.length ? reader.scratch : new Uint8Array(size + 1);
  let filled = 0;
  while (filled <= size) {
    if (size >= chunkBytes) {
      drainCancels(reader);
      if (reader.cancelled.has(r.id)) return 'cancelled';
    }
    const want = Math.min(chunkBytes, size + 1 - filled);
    const n = reader.fs.readSync(fd, into, filled, want, filled);
    if (n === 0) break;
    filled += n;
    // A short read of a regular file means its end; it came where `stat` said it would.
    if (n < want && filled === size) break;
  }
  if (filled < size) return 'shrank';
  if (filled > size) return size === 0 ? 'zero-size-content' : 'grew';
  return into.subarray(0, size);
}

/** A large body travels in a buffer of its own, moved to the event loop without a copy. */
function keepOwn(reader: Reader, body: Uint8Array): ArrayBuffer {
  const own = body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer;
  reader.own.push(own);
  return own;
}

function appendBody(reader: Reader, bytes: Uint8Array): void {
  if (reader.used + bytes.length > reader.batch.length) {
    const grown = new Uint8Array(Math.max(reader.batch.length * 2, reader.used + bytes.length));
    grown.set(reader.batch.subarray(0, reader.used));
    reader.batch = grown;
  }
  reader.batch.set(bytes, reader.used);
  reader.used += bytes.length;
}

/** Posts the reads done so far, their small bodies through the ring. */
function answerReads(reader: Reader): void {
  const { used } = reader;
  const ringStart = used > 0 ? reserveRing(reader, used) : 0;
  reader.ring.set(reader.batch.subarray(0, used), ringStart);
  if (used > 0) reader.regions.push({ answer: reader.answersSent, start: ringStart, end: ringStart + used });
  reader.answersSent++;
  reader.port.postMessage({ outcomes: reader.outcomes, ringStart } satisfies ReadBatchAnswer, reader.own);
  reader.outcomes = [];
  reader.own = [];
  reader.used = 0;
  reader.since = performance.now();
  if (reader.batch.length > 1024 * 1024) reader.batch = new Uint8Array(64 * 1024); // no large batch buffer kept around
}

/** Where `bytes` fit in the ring once the event loop has taken the answers before; waits for it if need be. */
function reserveRing(reader: Reader, bytes: number): number {
  const { regions, ring } = reader;
  for (;;) {
    const taken = Atomics.load(reader.setup.answersTaken, 0);
    while (regions.length > 0 && regions[0]!.answer < taken) regions.shift();
    if (regions.length === 0) return 0;
    const start = placeInRing(ring.length, regions[0]!.start, regions[regions.length - 1]!.end, bytes);
    if (start !== undefined) return start;
    Atomics.wait(reader.setup.answersTaken, 0, taken, 50);
  }
}

/**
 * Where `bytes` go in a ring whose waiting bodies run from `tail` (the oldest one's start) to
 * `head` (the newest one's end), wrapping past the end when `head < tail`; `undefined` if they do
 * not fit yet. A new region never ends exactly at `tail`: `head === tail` would then read as an
 * empty ring, and the next region would be written over bodies not yet taken.
 */
export function placeInRing(ringLength: number, tail: number, head: number, bytes: number): number | undefined {
  if (head > tail) {
    if (ringLength - head >= bytes) return head;
    if (tail > bytes) return 0;
    return undefined;
  }
  return tail - head > bytes ? head : undefined;
}

function outOfBounds(size: number, r: ReadRequest): boolean {
  return (r.limit >= 0 && size > r.limit) || (r.expectedSize >= 0 && size !== r.expectedSize);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function isGone(error: unknown): boolean {
  return errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR';
}

function failedRead(id: number, error: unknown): ReadOutcome {
  return { id, kind: 'failed', code: errorCode(error), message: String((error as Error).message) };
}

function fileType(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'a special file';
}

/** The functions `serveReads` calls, shipped with it to the thread. */
export const READ_HELPERS = [
  readBatch,
  drainCancels,
  readOne,
  readOpened,
  readAllOf,
  keepOwn,
  appendBody,
  answerReads,
  reserveRing,
  placeInRing,
  outOfBounds,
  errorCode,
  isGone,
  failedRead,
  fileType,
];
