import type * as fs from 'node:fs';
import type * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as workerThreads from 'node:worker_threads';

/**
 * Store threads (listing and reading) that have had no work for this long are stopped; the next
 * call starts new ones. Starting one costs tens of milliseconds; an idle one holds its own heap.
 */
export const IDLE_THREAD_STOP_MS = 10_000;

/** The modules a worker body gets: it can import nothing itself (see `startWorker`). */
export interface WorkerModules {
  fs: typeof fs;
  path: typeof path;
  workerThreads: typeof workerThreads;
}

/**
 * Lowers the thread's scheduling priority (nice 10) where the system names threads in `/proc`
 * (Linux), and does nothing elsewhere. On a machine with few cores, a thread that lists a million
 * files at full speed takes the CPU from the event loop and from V8's garbage-collector threads;
 * starved, those stop the event loop for up to a second to finish a collection. At nice 10 they
 * get the CPU first and the thread takes the rest.
 */
const LOWER_PRIORITY = `try { load('node:os').setPriority(Number(load('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), 10); } catch {}`;

/**
 * Runs `body` in a new worker thread. The body is shipped as its source text, so the same code
 * runs from the compiled package and from the TypeScript sources under test, with no separate
 * worker file to locate. The price: `body` may use only its parameters, globals and the `helpers`
 * shipped with it (function declarations, called by their names), never another name from its
 * module. A `background` thread runs at a lower priority (see `LOWER_PRIORITY`).
 */
export function startWorker<T>(
  body: (modules: WorkerModules, data: T) => void,
  data: T,
  {
    transferList = [],
    background = false,
    helpers = [],
  }: { transferList?: workerThreads.TransferListItem[]; background?: boolean; helpers?: readonly ((...args: never[]) => unknown)[] } = {},
): Worker {
  const source = [
    // getBuiltinModule, not require: the source runs as a module when the process was started with --input-type=module.
    `const load = (name) => process.getBuiltinModule(name);`,
    `const modules = { fs: load('node:fs'), path: load('node:path'), workerThreads: load('node:worker_threads') };`,
    background ? LOWER_PRIORITY : '',
    ...helpers.map((helper) => helper.toString()),
    `(${body.toString()})(modules, modules.workerThreads.workerData);`,
  ].join('\n');
  return new Worker(source, { eval: true, workerData: data, transferList });
}
