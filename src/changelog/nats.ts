import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsumerMessages, JetStreamManager } from '@nats-io/jetstream';
import { DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT, MAX_LOG_MESSAGE_BYTES } from '../defaults.js';
import { StoreUnavailableError, requiredOption } from '../errors.js';
import { sleep } from '../util/async.js';
import { redactUrl } from '../util/redact.js';
import { eventsOf } from './messages.js';
import type { ChangeLog, FollowHandlers, Follower, LogPosition, LogState } from './types.js';

export interface NatsChangeLogOptions {
  /** `nats://[user:password@]host:port`. Credentials in it are used, never shown. Required. */
  url: string;
  /** The JetStream stream; created (with `subject`) when missing. Default `DATALAKE`. */
  stream?: string;
  /** The subject the store publishes its events to. Default `minio.datalake`. */
  subject?: string;
  /** Only events of this bucket count. Required. */
  bucket: string;
  /** Only events under this prefix count. Required. */
  prefix: string;
}

/** Reconnect delays after the log could not be read: doubling up to the last. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** How long one request to the server (connect, stream info) may take. */
const REQUEST_TIMEOUT_MS = 3_000;
/** Without a message, the server says it is alive this often; two missed and the consumer is reopened. */
const IDLE_HEARTBEAT_MS = 1_000;
/** Consumer states after which the client's own recovery can stall: reopened by hand instead. */
const REOPEN_ON = new Set(['reset', 'consumer_deleted', 'consumer_not_found', 'stream_not_found', 'heartbeats_missed']);

/** The log no longer holds what follows a position: the caller lists, then follows anew. */
class LogGap extends Error {}

/**
 * A change log in NATS JetStream (see `ChangeLog`): each follower is its own ordered consumer
 * starting after its position, so every replica reads every event. The connection reconnects by
 * itself; a follower that stops reading reopens with backoff and resumes where it stopped.
 */
export function createNatsChangeLog(options: NatsChangeLogOptions): ChangeLog {
  for (const name of ['url', 'bucket'] as const) if (!options?.[name]) throw requiredOption('createNatsChangeLog', name);
  const stream = options.stream ?? DEFAULT_NATS_STREAM;
  const subject = options.subject ?? DEFAULT_NATS_SUBJECT;
  const url = new URL(options.url.includes('://') ? options.url : `nats://${options.url}`);
  const name = `${redactUrl(`nats://${url.username ? `${url.username}@` : ''}${url.host}`)} stream ${stream}`;
  const filter = { bucket: options.bucket, prefix: options.prefix, maxBytes: MAX_LOG_MESSAGE_BYTES };
  let connection: Promise<NatsConnection> | undefined;
  let closed = false;
  /** Told at once when the connection drops: a follower reading it stops being live right then. */
  const onDisconnect = new Set<(error: Error) => void>();

  /** Watches the connection: a drop is known within moments, not when a request times out. */
  function watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') for (const tell of onDisconnect) tell(new StoreUnavailableError(`${name}: disconnected`));
      }
    })().catch(() => undefined);
  }

  /** One connection, made on first use; a failed attempt is forgotten so the next call tries again. */
  function connect(): Promise<NatsConnection> {
    connection ??= (async () => {
      const { connect: open } = await import('@nats-io/transport-node');
      const nc = await open({
        servers: `${url.hostname}:${url.port || 4222}`,
        ...(url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : {}),
        name: 'user-data-transformer',
        timeout: REQUEST_TIMEOUT_MS,
        maxReconnectAttempts: -1,
        reconnectTimeWait: RETRY_FIRST_MS,
      });
      watchStatus(nc);
      return nc;
    })().catch((error: unknown) => {
      connection = undefined;
      throw new StoreUnavailableError(`${name}: cannot connect: ${(error as Error).message}`, { cause: error });
    });
    return connection;
  }

  async function manager(): Promise<JetStreamManager> {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    return jetstreamManager(await connect(), { timeout: REQUEST_TIMEOUT_MS });
  }

  async function describe(): Promise<LogState> {
    const jsm = await manager();
    const { JetStreamApiError, JetStreamApiCodes } = await import('@nats-io/jetstream');
    let info;
    try {
      info = await jsm.streams.info(stream);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      // Created here when missing, so a fresh deployment needs no setup step; the store's
      // notification target publishes into it from then on.
      info = await jsm.streams.add({ name: stream, subjects: [subject] });
    }
    return { stream: info.created, first: info.state.first_seq, last: info.state.last_seq };
  }

  function follow(after: LogPosition, handlers: FollowHandlers): Follower {
    let stopped = false;
    let messages: ConsumerMessages | undefined;
    const position = { ...after };
    let down = false;
    const disconnected = (error: Error) => {
      if (down || stopped) return;
      down = true;
      messages?.stop();
      handlers.onStop({ kind: 'down', error });
    };
    onDisconnect.add(disconnected);
    const run = async () => {
      let retryMs = RETRY_FIRST_MS;
      while (!stopped && !closed) {
        try {
          messages = await open(position);
          down = false;
          retryMs = RETRY_FIRST_MS;
          handlers.onOpen();
          await read(messages, position, handlers);
        } catch (error) {
          if (stopped || closed) return;
          if (error instanceof LogGap) {
            stopped = true;
            onDisconnect.delete(disconnected);
            handlers.onStop({ kind: 'gap', error });
            return;
          }
          if (!down) handlers.onStop({ kind: 'down', error: error as Error });
          down = true;
          await sleep(retryMs);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        }
      }
    };
    void run();
    return {
      async close() {
        stopped = true;
        onDisconnect.delete(disconnected);
        messages?.stop();
      },
    };
  }

  /** An ordered consumer from the message after `position`, once the stream is known to hold it. */
  async function open(position: LogPosition): Promise<ConsumerMessages> {
    const state = await describe();
    if (state.stream !== position.stream) throw new LogGap(`${name} was replaced since sequence ${position.seq}`);
    if (position.seq + 1 < state.first) throw new LogGap(`${name} no longer holds sequence ${position.seq + 1} (it starts at ${state.first})`);
    if (position.seq > state.last) throw new LogGap(`${name} ends at ${state.last}, before sequence ${position.seq}`);
    const { jetstream } = await import('@nats-io/jetstream');
    const consumer = await jetstream(await connect()).consumers.get(stream, { opt_start_seq: position.seq + 1 });
    return consumer.consume({ max_messages: 256, idle_heartbeat: IDLE_HEARTBEAT_MS });
  }

  /** Hands on every message in order until the consumer stops; a sequence out of order is a gap. */
  async function read(messages: ConsumerMessages, position: LogPosition, handlers: FollowHandlers): Promise<void> {
    void (async () => {
      for await (const status of messages.status()) if (REOPEN_ON.has(status.type)) return messages.stop();
    })().catch(() => undefined);
    for await (const m of messages) {
      // The server starts a consumer at the first sequence it still has, without a word: checked here.
      if (m.seq !== position.seq + 1) throw new LogGap(`${name}: expected sequence ${position.seq + 1}, got ${m.seq}`);
      position.seq = m.seq;
      handlers.onMessage({ ...eventsOf(m.data, filter), seq: m.seq, pending: m.info.pending });
    }
    // Stopped (a reset, missed heartbeats): the caller opens it again where it stopped.
  }

  return {
    name,
    describe,
    follow,
    async close() {
      closed = true;
      const nc = await connection?.catch(() => undefined);
      await nc?.close().catch(() => undefined);
    },
  };
}
