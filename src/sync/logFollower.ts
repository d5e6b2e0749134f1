import type { ChangeLog, Follower, LogPosition, SkipKind } from '../changelog/types.js';
import type { ChangeEvent } from '../storage/ObjectStore.js';
import { sleep } from '../util/async.js';
import { ChangeBatcher } from './batcher.js';

/** Describe attempts while the log cannot be reached: doubling up to the last. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** What the follower needs from the refresher around it. */
export interface FollowerHooks {
  /** A full listing, awaited: needed when the log cannot say what happened since a position. */
  listNow(): Promise<void>;
  /** Applies a batch of changes (the syncer's exclusive pass); throws when it could not. */
  apply(batch: ChangeEvent[], received: number): Promise<void>;
  /** A batch could not be applied: its changes are read back by a full listing, soon. */
  repair(error: unknown): void;
  /** The log caught up with what it held when following started: the table is current. */
  caughtUp(): void;
  /** Reading started or stopped (`live`), with why it stopped. */
  liveChanged(live: boolean, error?: Error): void;
  skipped(kind: SkipKind): void;
}

export type LogMode = 'stream' | 'listing';

export interface LogStatus {
  /** `stream`: changes arrive from the log; `listing`: the log is down or being caught up, listings keep the table current. */
  mode: LogMode;
  /** The last sequence applied, and messages in the stream after it (as of the last message). */
  position: LogPosition | undefined;
  lag: number;
}

/**
 * Keeps the cache current from a change log: from a snapshot's position when the log still holds
 * what follows it (no listing at all), else from the log's end noted before a full listing (nothing
 * written during the listing is lost). The applied position is what a snapshot records.
 */
export class LogFollower {
  readonly #log: ChangeLog;
  readonly #hooks: FollowerHooks;
  readonly #batcher: ChangeBatcher;
  #position: LogPosition | undefined;
  #follower: Follower | undefined;
  #live = false;
  #pending = 0;
  /** The sequence to reach before the table counts as caught up; `Infinity` once it has. */
  #catchUpTo = Infinity;
  #stopped = false;

  constructor(log: ChangeLog, hooks: FollowerHooks) {
    this.#log = log;
    this.#hooks = hooks;
    this.#batcher = new ChangeBatcher((batch, received, upTo) => this.#applyBatch(batch, received, upTo));
  }

  get status(): LogStatus {
    return { mode: this.#live ? 'stream' : 'listing', position: this.#position && { ...this.#position }, lag: this.#live ? this.#pending : 0 };
  }

  get live(): boolean {
    return this.#live;
  }

  /** Reading the log, and caught up with what it held when following started: the table is current. */
  get current(): boolean {
    return this.#live && this.#catchUpTo === Infinity;
  }

  /**
   * Starts following. Resolves once the table is loaded one way or the other: replaying from
   * `from` (a snapshot's position still in the log), or a full listing after noting the log's end,
   * or, with the log unreachable, a listing while the log is tried again in the background.
   */
  async start(from: LogPosition | undefined): Promise<'replay' | 'listed'> {
    let state;
    try {
      state = await this.#log.describe();
    } catch (error) {
      this.#hooks.liveChanged(false, error as Error);
      await this.#hooks.listNow();
      void this.#retry(from);
      return 'listed';
    }
    if (from && from.stream === state.stream && from.seq + 1 >= state.first && from.seq <= state.last) {
      this.#follow(from, state.last);
      return 'replay';
    }
    await this.#listThenFollow({ stream: state.stream, seq: state.last });
    return 'listed';
  }

  /** Stops following and closes the log's connection (the follower owns it from `start()` on). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#batcher.close();
    await this.#follower?.close();
    await this.#log.close();
  }

  /** The log could not be read at start: tries again with backoff, then follows as `start` would. */
  async #retry(from: LogPosition | undefined): Promise<void> {
    for (let waitMs = RETRY_FIRST_MS; !this.#stopped; waitMs = Math.min(waitMs * 2, RETRY_MAX_MS)) {
      await sleep(waitMs);
      try {
        const state = await this.#log.describe();
        const known = from && from.stream === state.stream && from.seq + 1 >= state.first && from.seq <= state.last;
        if (known) this.#follow(from, state.last);
        else await this.#listThenFollow({ stream: state.stream, seq: state.last });
        return;
      } catch {
        // Still down: listings go on meanwhile.
      }
    }
  }

  /** The end is noted first: whatever is written while the listing runs is read from the log after it. */
  async #listThenFollow(end: LogPosition): Promise<void> {
    await this.#hooks.listNow();
    this.#follow(end, end.seq);
  }

  #follow(from: LogPosition, catchUpTo: number): void {
    if (this.#stopped) return;
    this.#position = { ...from };
    this.#catchUpTo = catchUpTo;
    if (from.seq >= catchUpTo) this.#reachedEnd();
    this.#follower = this.#log.follow(from, {
      onOpen: () => this.#setLive(true),
      onMessage: ({ events, skipped, seq, pending }) => {
        this.#pending = pending;
        for (const kind of skipped) this.#hooks.skipped(kind);
        this.#batcher.addMessage(events, seq);
      },
      onStop: ({ kind, error }) => {
        this.#setLive(false, error);
        // The log lost track (trimmed, replaced): list, and follow again from its new end.
        if (kind === 'gap') void this.#retry(undefined);
      },
    });
  }

  async #applyBatch(batch: ChangeEvent[], received: number, upTo: number | undefined): Promise<void> {
    if (this.#stopped) return;
    try {
      if (batch.length > 0) await this.#hooks.apply(batch, received);
    } catch (error) {
      // The position stays: a snapshot must never claim changes the cache lacks.
      this.#hooks.repair(error);
      return;
    }
    if (upTo === undefined || !this.#position) return;
    this.#position = { stream: this.#position.stream, seq: upTo };
    if (upTo >= this.#catchUpTo) this.#reachedEnd();
  }

  #reachedEnd(): void {
    this.#catchUpTo = Infinity;
    this.#hooks.caughtUp();
  }

  #setLive(live: boolean, error?: Error): void {
    if (this.#stopped || this.#live === live) return;
    this.#live = live;
    this.#hooks.liveChanged(live, error);
  }
}
