import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_SERVER, eventPublisher, startNats, type NatsServer } from '../support/nats.js';
import { startServiceProcess, waitFor } from '../support/process.js';
import { createTestBucket, rawClient, s3Endpoint } from '../support/s3.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../support/s3server.js';

const P = 'source_data/';
const csv = (first: string) => `first_name,last_name,birthts\n${first},Last,${Date.UTC(1990, 0, 1)}\n`;

/** The service as `npm start` runs it with NATS_URL: readiness and metrics say how it learns of changes. */
describe.skipIf(!NATS_SERVER)('the service on a change log', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(() => nats?.close());

  it('follows the log: changes visible within 1 s, mode and lag in /health/ready and /metrics, credentials never logged', async () => {
    const bucket = await createTestBucket();
    const client = rawClient();
    await client.putObject(bucket, `${P}1.csv`, Buffer.from(csv('One')));
    const events = await eventPublisher(nats.url, { fresh: true });
    const natsUrl = nats.url.replace('nats://', 'nats://someone:pa55word@');
    const service = await startServiceProcess({
      MINIO_ENDPOINT: s3Endpoint(),
      MINIO_ACCESS_KEY: S3_ACCESS_KEY,
      MINIO_SECRET_KEY: S3_SECRET_KEY,
      MINIO_BUCKET: bucket,
      NATS_URL: natsUrl,
      MAX_STALENESS_MS: '500',
    });
    try {
      const ready = await waitFor(
        'streaming',
        async () => {
          const body = (await (await fetch(`${service.url}/health/ready`)).json()) as { status: string; changeLog?: { mode: string } };
          return body.status === 'ready' && body.changeLog?.mode === 'stream' ? body : undefined;
        },
        15_000,
        100,
      );
      expect(ready.changeLog).toMatchObject({ mode: 'stream', lag: 0, name: expect.stringContaining('stream DATALAKE') });
      const body = Buffer.from(csv('Two'));
      const { etag } = await client.putObject(bucket, `${P}2.csv`, body);
      const published = performance.now();
      await events.created(bucket, `${P}2.csv`, body.length, etag);
      await waitFor('the change', async () => (((await (await fetch(`${service.url}/data`)).json()) as unknown[]).length === 2 ? true : undefined), 1_000, 20);
      expect(performance.now() - published).toBeLessThan(1_000);
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^udt_change_log_streaming 1$/m);
      expect(metrics).toMatch(/^udt_change_log_lag_messages 0$/m);
      expect(service.output).not.toContain('pa55word');
    } finally {
      await service.stop();
      await events.close();
    }
  });
});
