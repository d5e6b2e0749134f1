// The loopback S3 server the benchmark runs against, in a process of its own so its CPU use is
// not billed to the code under measurement.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Minio from 'minio';
import { removeOnExit, startChild } from './children.mjs';
import { S3_CREDENTIALS } from './stores.mjs';

const SERVER_SCRIPT = fileURLToPath(new URL('../../test/support/s3rver-main.mjs', import.meta.url));

export async function startS3() {
  const directory = removeOnExit(await mkdtemp(path.join(tmpdir(), 'udt-bench-s3-')));
  // s3rver's listing continuation tokens need a DES cipher, which OpenSSL 3 keeps in the legacy provider.
  const handle = startChild(SERVER_SCRIPT, [directory], { env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' } });
  const { port } = await handle.nextLine();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: handle.child.pid,
    async stop() {
      await handle.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export function rawClient(port) {
  return new Minio.Client({ endPoint: '127.0.0.1', port, useSSL: false, pathStyle: true, ...S3_CREDENTIALS });
}
