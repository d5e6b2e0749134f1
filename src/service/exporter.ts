import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import type { UserDataTransformer } from '../UserDataTransformer.js';
import type { ExportResult, ExportStatus, ExportTrigger } from './schemas.js';

/**
 * An export is a sync followed by writing the output CSV. They run behind one lock, shared by the
 * schedule and `POST /data`, so two exports never interleave. API callers queue for their turn
 * (their answer reflects the store as of their request); scheduled runs skip when one is already
 * in flight.
 */
export class Exporter {
  readonly outputKey: string;
  readonly #transformer: UserDataTransformer;
  readonly #logger: Logger;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #last: ExportStatus | undefined;

  constructor(transformer: UserDataTransformer, options: { outputKey: string; logger: Logger }) {
    this.#transformer = transformer;
    this.outputKey = options.outputKey;
    this.#logger = options.logger;
  }

  /** Whether a run is in flight or queued. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** Outcome of the most recent run, if any. */
  get lastExport(): ExportStatus | undefined {
    return this.#last;
  }

  /** Waits for the runs in flight, then runs. Rejects with the run's error. */
  run(trigger: ExportTrigger): Promise<ExportResult> {
    this.#pending++;
    // Count down before the caller sees the outcome, so `busy` is already false when it does.
    const result = this.#tail.then(() => this.#export(trigger)).finally(() => this.#pending--);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Runs unless another run is in flight; then resolves to `null` and logs the skip. */
  async runIfIdle(trigger: ExportTrigger): Promise<ExportResult | null> {
    if (this.busy) {
      this.#logger.warn({ event: 'export_skipped', trigger }, 'export skipped: the previous one is still running');
      return null;
    }
    return this.run(trigger);
  }

  /** Resolves once nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.busy) await this.#tail;
  }

  async #export(trigger: ExportTrigger): Promise<ExportResult> {
    const started = performance.now();
    try {
      const sync = await this.#transformer.sync({ fresh: true });
      const out = await this.#transformer.exportOutput(this.outputKey);
      const durationMs = Math.round(performance.now() - started);
      this.#last = { trigger, finishedAt: new Date().toISOString(), ok: true, durationMs, users: out.users };
      const { downloaded, unchanged, removed, failed } = sync;
      this.#logger.info(
        { event: 'export', trigger, durationMs, users: out.users, bytes: out.bytes, downloaded, unchanged, removed, failed: failed.length },
        'output written',
      );
      return { users: out.users, output: out.key, sync };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      this.#last = { trigger, finishedAt: new Date().toISOString(), ok: false, durationMs, error: describeError(error) };
      this.#logger.error({ event: 'export_failed', trigger, durationMs, err: error }, 'export failed; the previous output is untouched');
      throw error;
    }
  }
}
