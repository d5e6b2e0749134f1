import type { ChangeEvent } from '../storage/ObjectStore.js';

/**
 * A durable, ordered log of the bucket's changes (NATS JetStream fed by the store's event
 * notifications): every replica reads all of it, from wherever its snapshot left off. With a
 * snapshot that records its place in the log, a restart needs no listing at all.
 */
export interface ChangeLog {
  /** For logs and health, without credentials, e.g. `nats://host:4222 stream DATALAKE`. */
  readonly name: string;
  /** Where the log stands now: which stream (a replaced stream is another one) and its sequences. */
  describe(): Promise<LogState>;
  /** Reads the log after sequence `after` of `stream`, in order, until closed. */
  follow(after: LogPosition, handlers: FollowHandlers): Follower;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** A place in the log: the last sequence applied, in a given stream. */
export interface LogPosition {
  /** The stream's identity: a stream deleted and created again is another stream. */
  stream: string;
  /** The last sequence applied; 0 before the first message. */
  seq: number;
}

export interface LogState {
  stream: string;
  /** The first sequence the stream still holds (later than 1 once trimmed). */
  first: number;
  /** The last sequence it holds; 0 while empty. */
  last: number;
}

/** Why a message (or one of its records) was skipped: never fatal, counted and logged once per kind. */
export type SkipKind = 'malformed' | 'too_large' | 'other_bucket' | 'other_prefix' | 'unsafe_key' | 'other_event';

export interface FollowHandlers {
  /** Reading (again): messages from here on arrive in order. */
  onOpen(): void;
  /** One message: its changes for this bucket and prefix, its sequence, and how many follow it in the stream now. */
  onMessage(message: { events: ChangeEvent[]; skipped: SkipKind[]; seq: number; pending: number }): void;
  /**
   * Reading stopped. `gap`: the log no longer holds what comes next (trimmed, or the stream was
   * replaced): the caller must list the bucket and follow again from a new position; the follower
   * is closed. `down`: the log cannot be reached; the follower keeps trying, and calls `onOpen`
   * when it reads again, from where it stopped.
   */
  onStop(reason: { kind: 'gap' | 'down'; error: Error }): void;
}

export interface Follower {
  close(): Promise<void>;
}
