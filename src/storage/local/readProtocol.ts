import type { MessagePort } from 'node:worker_threads';
import type { WorkerModules } from '../../util/worker.js';

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

/** A ring region in use: the small bodies of one answer, not yet taken by the event loop. */
export interface Region {
  answer: number;
  start: number;
  end: number;
}

/** A reading thread's state. */
export interface Reader {
  fs: WorkerModules['fs'];
  path: WorkerModules['path'];
  port: MessagePort;
  receive: WorkerModules['workerThreads']['receiveMessageOnPort'];
  setup: ReaderSetup;
  cancelled: Set<number>;
  cancelsSeen: number;
  /** Where a small file is read: bodies up to its size go through the ring, larger ones get a buffer of their own. */
  scratch: Uint8Array;
  /** The small bodies of the answer being put together. */
  batch: Uint8Array;
  used: number;
  ring: Uint8Array;
  /** Ring regions not yet taken, oldest first: they are freed in the order they were used. */
  regions: Region[];
  answersSent: number;
  outcomes: ReadOutcome[];
  own: ArrayBuffer[];
  since: number;
}
