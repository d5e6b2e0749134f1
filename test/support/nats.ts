import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, waitFor } from './process.js';

/** Debian's nats-server (`apt-get install nats-server`; `.ci/run` installs it). */
export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));
export const STREAM = 'DATALAKE';
export const SUBJECT = 'minio.datalake';

/** A real nats-server with JetStream on loopback, its data in a folder of its own that survives restarts. */
export interface NatsServer {
  url: string;
  /** Stops it (SIGKILL: as a crash would). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startNats(): Promise<NatsServer> {
  if (!NATS_SERVER) throw new Error('nats-server is not installed: apt-get install nats-server');
  const dir = await mkdtemp(path.join(tmpdir(), 'udt-nats-'));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
    await waitFor(
      'nats-server',
      async () => {
        const nc = await connect({ servers: url, timeout: 500 });
        await nc.close();
        return true;
      },
      15_000,
      100,
    );
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, kill, start, close: async () => (await kill(), await rm(dir, { recursive: true, force: true })) };
}

/** Publishes bucket events as MinIO's NATS target does (JetStream on), into the stream it makes when missing. */
export interface EventPublisher {
  created(bucket: string, key: string, size: number, etag: string): Promise<number>;
  removed(bucket: string, key: string): Promise<number>;
  raw(data: string | Uint8Array): Promise<number>;
  purge(keep: number): Promise<void>;
  close(): Promise<void>;
}

export async function eventPublisher(url: string, { fresh = false } = {}): Promise<EventPublisher> {
  const nc: NatsConnection = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  if (fresh) await jsm.streams.delete(STREAM).catch(() => undefined);
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT] }).catch(() => undefined);
  const js = jetstream(nc);
  const publish = async (data: string | Uint8Array) => (await js.publish(SUBJECT, data)).seq;
  const event = (bucket: string, key: string, name: string, object: Record<string, unknown>) =>
    JSON.stringify({
      EventName: name,
      Key: `${bucket}/${key}`,
      Records: [
        {
          eventVersion: '2.0',
          eventSource: 'minio:s3',
          eventTime: new Date().toISOString(),
          eventName: name,
          s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+'), ...object } },
        },
      ],
    });
  return {
    created: (bucket, key, size, etag) => publish(event(bucket, key, 's3:ObjectCreated:Put', { size, eTag: etag, sequencer: String(Date.now()) })),
    removed: (bucket, key) => publish(event(bucket, key, 's3:ObjectRemoved:Delete', { sequencer: String(Date.now()) })),
    raw: publish,
    purge: async (keep) => void (await jsm.streams.purge(STREAM, { keep })),
    close: () => nc.close(),
  };
}
