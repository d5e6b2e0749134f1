import type * as fs from 'node:fs';
import type * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as workerThreads from 'node:worker_threads';

/** The modules a worker body gets: it can import nothing itself (see `startWorker`). */
export interface WorkerModules {
  fs: typeof fs;
  path: typeof path;
  workerThreads: typeof workerThreads;
}

/**
 * Runs `body` in a new worker thread. The body is shipped as its source text, so the same code
 * runs from the compiled package and from the TypeScript sources under test, with no separate
 * worker file to locate. The price: `body` may use only its parameters and globals, never a name
 * from its module.
 */
export function startWorker<T>(body: (modules: WorkerModules, data: T) => void, data: T, transferList: workerThreads.TransferListItem[] = []): Worker {
  const source = [
    // getBuiltinModule, not require: the source runs as a module when the process was started with --input-type=module.
    `const load = (name) => process.getBuiltinModule(name);`,
    `const modules = { fs: load('node:fs'), path: load('node:path'), workerThreads: load('node:worker_threads') };`,
    `(${body.toString()})(modules, modules.workerThreads.workerData);`,
  ].join('\n');
  return new Worker(source, { eval: true, workerData: data, transferList });
}
