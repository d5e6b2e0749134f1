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
/** Bytes of each thread's ring of small bodies. */
const RING_BYTES = 1024 * 1024;
/** Idle reading threads are stopped after this long, and started again by the next read. */
const IDLE_STOP_MS = 10_000;

/** A read's outcome with its body, if any, as a `Buffer`. */
export type ReadResult = { kind: 'body'; body: Buffer } | Exclude<ReadOutcome, { kind: 'body' }>;

interface Thread {
  worker: Worker;
  cancels: MessagePort;
  cancelCount: Int32Array;
  /** The thread's ring of small bodies (see `ReaderSetup.ring`), and the count of answers taken from it. */
  ring: Buffer;
  answersTaken: Int32Array;
  /** Reads sent and not yet answered. */
  reads: number;
}

interface Pending {
  request: ReadRequest;
  signal: AbortSignal | undefined;
  /** The thread the read was sent to; none while it waits in the queue. */
  thread: Thread | undefined;
  resolve: (result: ReadResult) => void;
  reject: (error: unknown) => void;
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
  /** Signals listened to: one listener per signal, not one per read (a sync passes one signal to a million reads). */
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Reads `file` within `options`' bounds; rejects with the signal's reason once it aborts. */
  read(file: string, options: GetOptions): Promise<ReadResult> {
    return new Promise<ReadResult>((resolve, reject) => {
      const { signal } = options;
      const request: ReadRequest = { id: this.#nextId++, file, limit: options.maxBytes ?? -1, expectedSize: options.expectedSize ?? -1 };
      if (signal && !this.#watched.has(signal)) {
        this.#watched.add(signal);
        signal.addEventListener('abort', () => this.#abortAll(signal), { once: true });
      }
      this.#pending.set(request.id, { request, signal, thread: undefined, resolve, reject });
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
    try {
      this.#send();
    } catch (error) {
      // No thread could be started (out of threads or memory): the reads waiting fail, none hangs.
      this.#fail(this.#queue, error instanceof Error ? error : new Error(String(error)));
    }
  }

  #send(): void {
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
    if ((!best || best.reads >= BATCH_READS) && this.#threads.length < MAX_THREADS) {
      try {
        return this.#start();
      } catch (error) {
        if (!best) throw error; // the threads there are will do
      }
    }
    return best && best.reads < MAX_READS_PER_THREAD ? best : undefined;
  }

  #onAnswer(thread: Thread, { outcomes, ringStart }: ReadBatchAnswer): void {
    thread.reads -= outcomes.length;
    const bodies = outcomes.map((outcome) => (outcome.kind === 'body' ? bodyOf(thread, outcome, ringStart) : undefined));
    // Every body is out of the ring: the thread may reuse its space.
    Atomics.add(thread.answersTaken, 0, 1);
    Atomics.notify(thread.answersTaken, 0);
    outcomes.forEach((outcome, i) => {
      const pending = this.#pending.get(outcome.id);
      if (!pending) return; // aborted meanwhile
      this.#pending.delete(outcome.id);
      pending.resolve(outcome.kind === 'body' ? { kind: 'body', body: bodies[i]! } : outcome);
    });
    if (this.#queue.length > 0) this.#scheduleFlush();
    else if (this.#pending.size === 0) this.#idle();
  }

  /**
   * Fails the reads of an aborted signal with its reason: those still queued leave the queue, and
   * the threads are told to skip the others.
   */
  #abortAll(signal: AbortSignal): void {
    const aborted = [...this.#pending.values()].filter((p) => p.signal === signal);
    for (const { request, thread, reject } of aborted) {
      this.#pending.delete(request.id);
      if (thread) {
        thread.cancels.postMessage(request.id);
        Atomics.add(thread.cancelCount, 0, 1);
      }
      reject(signal.reason);
    }
    const ids = new Set(aborted.map((p) => p.request.id));
    this.#queue = this.#queue.filter((r) => !ids.has(r.id));
    if (this.#pending.size === 0) this.#idle();
  }

  #start(): Thread {
    const channel = new MessageChannel();
    channel.port1.unref();
    const cancelCount = new Int32Array(new SharedArrayBuffer(4));
    const ring = new SharedArrayBuffer(RING_BYTES);
    const answersTaken = new Int32Array(new SharedArrayBuffer(4));
    const setup = {
      root: this.#root,
      openFlags: OPEN_FLAGS,
      chunkBytes: READ_CHUNK_BYTES,
      answerAfterMs: ANSWER_AFTER_MS,
      cancels: channel.port2,
      cancelCount,
      ring,
      answersTaken,
    };
    // Normal priority, unlike listing threads: they mostly wait for the disk, and a sync waits for them.
    const worker = startWorker(serveReads, setup, { transferList: [channel.port2] });
    const thread: Thread = { worker, cancels: channel.port1, cancelCount, ring: Buffer.from(ring), answersTaken, reads: 0 };
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

/** A body out of its answer: a copy of its bytes in the ring, or the buffer that came with it. */
function bodyOf(thread: Thread, outcome: Extract<ReadOutcome, { kind: 'body' }>, ringStart: number): Buffer {
  if (outcome.own) return Buffer.from(outcome.own, outcome.start, outcome.length);
  const body = Buffer.allocUnsafe(outcome.length);
  thread.ring.copy(body, 0, ringStart + outcome.start, ringStart + outcome.start + outcome.length);
  return body;
}
