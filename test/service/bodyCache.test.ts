import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VersionedBodies } from '../../src/service/bodyCache.js';

const body = (text: string) => Buffer.from(text.repeat(1000)); // over the compression threshold

describe('VersionedBodies', () => {
  it('keeps a body still being built for an older table version out of the newer version’s cache', async () => {
    const bodies = new VersionedBodies();
    let finishOld!: (b: Buffer) => void;
    const older = bodies.get(1, 'json', 'gzip', () => new Promise<Buffer>((resolve) => (finishOld = resolve)));
    // The table changes while that body is built; a client without compression asks first.
    const newer = await bodies.get(2, 'json', 'identity', () => Promise.resolve(body('v2')));
    expect(newer.body.toString()).toBe(body('v2').toString());
    finishOld(body('v1'));
    const old = await older;
    expect(gunzipSync(old.body).toString()).toBe(body('v1').toString());
    const never = () => Promise.reject(new Error('built twice'));
    const gz = await bodies.get(2, 'json', 'gzip', never);
    expect(gunzipSync(gz.body).toString()).toBe(body('v2').toString());
    expect(gz.etag).not.toBe(old.etag);
  });

  it('builds a body once for requests that arrive while it is built', async () => {
    const bodies = new VersionedBodies();
    let builds = 0;
    const build = async () => {
      builds++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return body('x');
    };
    const answers = await Promise.all([1, 2, 3].map(() => bodies.get(7, 'csv', 'identity', build)));
    expect(builds).toBe(1);
    expect(new Set(answers.map((a) => a.etag)).size).toBe(1);
  });
});
