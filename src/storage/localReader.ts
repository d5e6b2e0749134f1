import { constants } from 'node:fs';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { GetOptions } from './ObjectStore.js';
import { serveReads, type ReadBatchAnswer, type ReadOutcome, type ReadRequest } from './localReadWorker.js';
import { startWorker } from './workerSource.js';

/**
 * Never blocks on open (a FIFO without a writer would wait forever) and never follows a link that
 * appeared after the path was resolved. Absent on platforms without them.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
/** Bytes per read call, so a cancelled read of a large file stops between calls. */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * Reading threads at most. Each reads one file at a time, so this is how many reads the disk sees
 * at once when files are not in the page cache: as many as Node's own thread pool would run.
 */
const MAX_THREADS = 4;
/** Reads per message to a thread: few, so the event loop parses the first files while threads read the next. */
const BATCH_READS = 4;
/** Reads handed to one thread and not yet answered: two batches, so it never waits for the next one. */
const MAX_READS_PER_THREAD = 2 * BATCH_READS;
/**
 * A read that took longer than this (it went to the disk) is answered at once instead of with the
 * rest of its batch: the sync's download slot it holds is freed for the next file sooner.
 */
const ANSWER_AFTER_MS = 0.05;
/** Idle reading threads are stopped after this long, and started again by the next read. */
const IDLE_STOP_MS = 30_000;

/** A read's outcome with its body, if any, as a `Buffer`. */
export type ReadResult = { kind: 'body'; body: Buffer } | Exclude<ReadOutcome, { kind: 'body' }>;

interface Thread {
  worker: Worker;
  cancels: MessagePort;
  cancelCount: Int32Array;
  /** Reads sent and not yet answered. */
  reads: number;
}

interface Pending {
  request: ReadRequest;
  /** The thread the read was sent to; none while it waits in the queue. */
  thread: Thread | undefined;
  resolve: (result: ReadResult) => void;
  reject: (error: unknown) => void;
  /** Stops listening for the caller's abort. */
  release: () => void;
}

/**
 * Reads files under a root on a few worker threads, in small batches: the event loop pays one
 * message per batch instead of six asynchronous file-system calls per file, each with its promise
 * and thread-pool hand-off. Threads start as the reads in flight need them and stop after
 * `IDLE_STOP_MS` without any, or on `close()`.
 */
export class LocalReader {
  readonly #root: string;
  readonly #pending = new Map<number, Pending>();
  #queue: ReadRequest[] = [];
  #threads: Thread[] = [];
  #flushScheduled = false;
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  /** Reads `file` within `options`' bounds; rejects with the signal's reason once it aborts. */
  read(file: string, options: GetOptions): Promise<ReadResult> {
    return new Promise<ReadResult>((resolve, reject) => {
      const { signal } = options;
      const request: ReadRequest = { id: this.#nextId++, file, limit: options.maxBytes ?? -1, expectedSize: options.expectedSize ?? -1 };
      const onAbort = () => {
        this.#forget(request.id);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(request.id, { request, thread: undefined, resolve, reject, release: () => signal?.removeEventListener('abort', onAbort) });
      this.#queue.push(request);
      this.#busy();
      this.#scheduleFlush();
    });
  }

  /** Stops the reading threads; reads still pending fail. A later read starts new ones. */
  async close(): Promise<void> {
    const threads = this.#threads;
    for (const thread of threads) this.#drop(thread, new Error('the store was closed'));
    this.#fail(this.#queue, new Error('the store was closed'));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // After the current turn: the reads its callbacks start join the same batch.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0) {
      const thread = this.#leastBusy();
      if (!thread) return; // every thread has enough to do: the next answer flushes again
      const batch = this.#queue.splice(0, BATCH_READS);
      for (const request of batch) this.#pending.get(request.id)!.thread = thread;
      thread.reads += batch.length;
      thread.worker.postMessage(batch);
    }
  }

  /** The thread with the fewest reads in flight; a new one while all are busy and there is room. */
  #leastBusy(): Thread | undefined {
    let best: Thread | undefined;
    for (const thread of this.#threads) if (!best || thread.reads < best.reads) best = thread;
    if ((!best || best.reads >= BATCH_READS) && this.#threads.length < MAX_THREADS) return this.#start();
    return best && best.reads < MAX_READS_PER_THREAD ? best : undefined;
  }

  #onAnswer(thread: Thread, { outcomes, bodies }: ReadBatchAnswer): void {
    thread.reads -= outcomes.length;
    for (const outcome of outcomes) {
      const pending = this.#pending.get(outcome.id);
      if (!pending) continue; // aborted meanwhile
      this.#pending.delete(outcome.id);
      pending.release();
      if (outcome.kind === 'body') pending.resolve({ kind: 'body', body: Buffer.from(outcome.own ?? bodies, outcome.start, outcome.length) });
      else pending.resolve(outcome);
    }
    if (this.#queue.length > 0) this.#scheduleFlush();
    else if (this.#pending.size === 0) this.#idle();
  }

  /** Drops an aborted read: out of the queue if it is still there, else its thread is told to skip it. */
  #forget(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.release();
    const thread = pending.thread;
    if (thread) {
      thread.cancels.postMessage(id);
      Atomics.add(thread.cancelCount, 0, 1);
    } else {
      this.#queue = this.#queue.filter((r) => r.id !== id);
    }
    if (this.#pending.size === 0) this.#idle();
  }

  #start(): Thread {
    const channel = new MessageChannel();
    channel.port1.unref();
    const cancelCount = new Int32Array(new SharedArrayBuffer(4));
    const setup = {
      root: this.#root,
      openFlags: OPEN_FLAGS,
      chunkBytes: READ_CHUNK_BYTES,
      answerAfterMs: ANSWER_AFTER_MS,
      cancels: channel.port2,
      cancelCount,
    };
    const thread: Thread = { worker: startWorker(serveReads, setup, [channel.port2]), cancels: channel.port1, cancelCount, reads: 0 };
    const { worker } = thread;
    worker.on('message', (answer: ReadBatchAnswer) => {
      if (this.#threads.includes(thread)) this.#onAnswer(thread, answer);
    });
    worker.on('error', (error) => this.#drop(thread, new Error(`a reading thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.#drop(thread, new Error(`a reading thread stopped (exit code ${code})`)));
    this.#threads.push(thread);
    return thread;
  }

  /** Forgets a thread (stopping it is the caller's business) and fails the reads it had with `error`. */
  #drop(thread: Thread, error: Error): void {
    if (!this.#threads.includes(thread)) return;
    this.#threads = this.#threads.filter((t) => t !== thread);
    thread.cancels.close();
    const lost = [...this.#pending.values()].filter((p) => p.thread === thread).map((p) => p.request);
    this.#fail(lost, error);
  }

  #fail(requests: readonly ReadRequest[], error: Error): void {
    const ids = new Set(requests.map((r) => r.id));
    this.#queue = this.#queue.filter((r) => !ids.has(r.id));
    for (const id of ids) {
      const pending = this.#pending.get(id);
      if (!pending) continue;
      this.#pending.delete(id);
      pending.release();
      pending.reject(error);
    }
  }

  #busy(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    for (const thread of this.#threads) thread.worker.ref();
  }

  /** Nothing pending: the threads no longer keep the process alive, and stop if nothing comes. */
  #idle(): void {
    for (const thread of this.#threads) thread.worker.unref();
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size === 0) void this.close();
    }, IDLE_STOP_MS);
    this.#idleTimer.unref();
  }
}
