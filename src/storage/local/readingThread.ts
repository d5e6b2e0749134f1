import { constants } from 'node:fs';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { READ_HELPERS, serveReads } from './readWorker.js';
import type { ReadBatchAnswer, ReadOutcome, ReaderSetup } from './readProtocol.js';
import { startWorker } from '../../util/worker.js';

/**
 * Never blocks on open (a FIFO without a writer would wait forever) and never follows a link that
 * appeared after the path was resolved. Absent on platforms without them.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
/** Bytes per read call, so a cancelled read of a large file stops between calls. */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * A read that took longer than this (it went to the disk) is answered at once instead of with the
 * rest of its batch: the sync's download slot it holds is freed for the next file sooner.
 */
const ANSWER_AFTER_MS = 0.05;
/** Bytes of each thread's ring of small bodies. */
const RING_BYTES = 1024 * 1024;

/** A reading thread as the event loop sees it. */
export interface ReadingThread {
  worker: Worker;
  cancels: MessagePort;
  cancelCount: Int32Array;
  /** The thread's ring of small bodies (see `ReaderSetup.ring`), and the count of answers taken from it. */
  ring: Buffer;
  answersTaken: Int32Array;
  /** Reads sent and not yet answered. */
  reads: number;
}

/**
 * Starts a reading thread for files under `root` (see `serveReads`). Normal priority, unlike
 * listing threads: they mostly wait for the disk, and a sync waits for them.
 */
export function startReadingThread(root: string): ReadingThread {
  const channel = new MessageChannel();
  channel.port1.unref();
  const cancelCount = new Int32Array(new SharedArrayBuffer(4));
  const ring = new SharedArrayBuffer(RING_BYTES);
  const answersTaken = new Int32Array(new SharedArrayBuffer(4));
  const setup: ReaderSetup = {
    root,
    openFlags: OPEN_FLAGS,
    chunkBytes: READ_CHUNK_BYTES,
    answerAfterMs: ANSWER_AFTER_MS,
    cancels: channel.port2,
    cancelCount,
    ring,
    answersTaken,
  };
  const worker = startWorker(serveReads, setup, { transferList: [channel.port2], helpers: READ_HELPERS });
  return { worker, cancels: channel.port1, cancelCount, ring: Buffer.from(ring), answersTaken, reads: 0 };
}

/** The bodies of an answer, in its order (`undefined` for outcomes without one); then frees its part of the ring. */
export function takeBodies(thread: ReadingThread, { outcomes, ringStart }: ReadBatchAnswer): (Buffer | undefined)[] {
  const bodies = outcomes.map((outcome) => (outcome.kind === 'body' ? bodyOf(thread, outcome, ringStart) : undefined));
  Atomics.add(thread.answersTaken, 0, 1);
  Atomics.notify(thread.answersTaken, 0);
  return bodies;
}

/** Tells the thread to skip a read it was given. */
export function cancelRead(thread: ReadingThread, id: number): void {
  thread.cancels.postMessage(id);
  Atomics.add(thread.cancelCount, 0, 1);
}

/** A copy of the body's bytes in the ring, or the buffer that came with it. */
function bodyOf(thread: ReadingThread, outcome: Extract<ReadOutcome, { kind: 'body' }>, ringStart: number): Buffer {
  if (outcome.own) return Buffer.from(outcome.own, outcome.start, outcome.length);
  const body = Buffer.allocUnsafe(outcome.length);
  thread.ring.copy(body, 0, ringStart + outcome.start, ringStart + outcome.start + outcome.length);
  return body;
}
