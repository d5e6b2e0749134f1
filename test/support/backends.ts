import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import { startFaultProxy, type FaultProxy } from './faultProxy.js';
import { createTestBucket, rawClient, s3Endpoint, testStore } from './s3.js';

/**
 * A real store for the code under test, plus a side door for the test to change objects and a
 * count of the object downloads the code made (S3: requests seen by a proxy on the wire).
 */
export interface Backend {
  store: ObjectStore;
  write(key: string, body: string | Buffer): Promise<void>;
  remove(key: string): Promise<void>;
  /** Object GETs made through `store` since the last call, by key. */
  takeDownloads(): string[];
  proxy?: FaultProxy;
  cleanup(): Promise<void>;
}

export type BackendFactory = { name: string; create: () => Promise<Backend> };

export const BACKENDS: BackendFactory[] = [
  {
    name: 'local folder',
    async create() {
      const root = await mkdtemp(path.join(tmpdir(), 'udt-be-'));
      const real = createLocalStore({ root });
      const downloads: string[] = [];
      // Records reads on the way through to the real store.
      const store: ObjectStore = { ...real, get: (key, options) => (downloads.push(key), real.get(key, options)) };
      return {
        store,
        async write(key, body) {
          const file = path.join(root, key);
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, body);
        },
        remove: (key) => rm(path.join(root, key)),
        takeDownloads: () => downloads.splice(0),
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3 over loopback HTTP',
    async create() {
      const bucket = await createTestBucket();
      const proxy = await startFaultProxy(s3Endpoint());
      const store = testStore(bucket, { endpoint: proxy.endpoint, retries: 0 });
      const client = rawClient();
      let seen = 0;
      return {
        store,
        proxy,
        write: async (key, body) => void (await client.putObject(bucket, key, typeof body === 'string' ? Buffer.from(body) : body)),
        remove: (key) => client.removeObject(bucket, key),
        takeDownloads() {
          const fresh = proxy.requests.slice(seen);
          seen = proxy.requests.length;
          return fresh
            .filter((r) => r.method === 'GET' && !r.url.includes('list-type') && !r.url.includes('?location'))
            .map((r) => decodeURIComponent(r.url.split('?')[0]!.replace(`/${bucket}/`, '')));
        },
        async cleanup() {
          await store.close();
          await proxy.close();
        },
      };
    },
  },
];
