import type { GetOptions } from '../ObjectStore.js';
import type { ReadBatchAnswer, ReadOutcome, ReadRequest } from './readProtocol.js';
import { cancelRead, startReadingThread, takeBodies, type ReadingThread } from './readingThread.js';
import { IDLE_THREAD_STOP_MS } from '../../util/worker.js';

/**
 * Reading threads at most. Each reads one file at a time, so this is how many reads the disk sees
 * at once when files are not in the page cache: as many as Node's own thread pool would run.
 */
const MAX_THREADS = 4;
/** Reads per message to a thread: few, so the event loop parses the first files while threads read the next. */
const BATCH_READS = 4;
/** Reads handed to one thread and not yet answered: two batches, so it never waits for the next one. */
const MAX_READS_PER_THREAD = 2 * BATCH_READS;

/** A read's outcome with its body, if any, as a `Buffer`. */
export type ReadResult = { kind: 'body'; body: Buffer } | Exclude<ReadOutcome, { kind: 'body' }>;

interface Pending {
  request: ReadRequest;
  signal: AbortSignal | undefined;
  /** The thread the read was sent to; none while it waits in the queue. */
  thread: ReadingThread | undefined;
  resolve: (result: ReadResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Reads files under a root on a few worker threads, in small batches: the event loop pays one
 * message per batch instead of six asynchronous file-system calls per file, each with its promise
 * and thread-pool hand-off. Threads start as the reads in flight need them and stop after
 * `IDLE_THREAD_STOP_MS` without any, or on `close()`.
 */
export class LocalReader {
  readonly #root: string;
  readonly #pending = new Map<number, Pending>();
  #queue: ReadRequest[] = [];
  #threads: ReadingThread[] = [];
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
  #leastBusy(): ReadingThread | undefined {
    let best: ReadingThread | undefined;
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

  #onAnswer(thread: ReadingThread, answer: ReadBatchAnswer): void {
    const { outcomes } = answer;
    thread.reads -= outcomes.length;
    const bodies = takeBodies(thread, answer);
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
      if (thread) cancelRead(thread, request.id);
      reject(signal.reason);
    }
    const ids = new Set(aborted.map((p) => p.request.id));
    this.#queue = this.#queue.filter((r) => !ids.has(r.id));
    if (this.#pending.size === 0) this.#idle();
  }

  #start(): ReadingThread {
    const thread = startReadingThread(this.#root);
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
  #drop(thread: ReadingThread, error: Error): void {
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
    }, IDLE_THREAD_STOP_MS);
    this.#idleTimer.unref();
  }
}
