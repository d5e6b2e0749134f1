import type { Worker } from 'node:worker_threads';
import { WALK_HELPERS, serveWalks } from './listWorker.js';
import { IDLE_THREAD_STOP_MS, startWorker } from '../../util/worker.js';

/**
 * The listing threads of one store, kept between listings for a while: starting a thread costs
 * tens of milliseconds, as much as listing ten thousand files. Threads run at a lower priority
 * (see `startWorker`). A listing that fails or is aborted stops its threads rather than handing
 * them back, so nothing of it runs on.
 */
export class ListingThreads {
  #idle: Worker[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `count` threads for one listing: idle ones first, new ones for the rest. */
  take(count: number): Worker[] {
    clearTimeout(this.#timer);
    const threads = this.#idle.splice(0, count);
    while (threads.length < count) threads.push(startWorker(serveWalks, null, { background: true, helpers: WALK_HELPERS }));
    for (const thread of threads) {
      thread.removeAllListeners();
      thread.ref();
    }
    return threads;
  }

  /** Threads back from a listing that ended well, their listeners removed by the caller. */
  give(threads: readonly Worker[]): void {
    for (const thread of threads) {
      thread.unref(); // an idle thread does not keep the process alive
      thread.once('exit', () => (this.#idle = this.#idle.filter((t) => t !== thread)));
      this.#idle.push(thread);
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.close(), IDLE_THREAD_STOP_MS);
    this.#timer.unref();
  }

  /** Stops the idle threads. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    const idle = this.#idle;
    this.#idle = [];
    await Promise.all(idle.map((thread) => thread.terminate()));
  }
}
