import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listInRanges, type FetchRangePage } from '../../src/storage/s3/rangeListing.js';

const PREFIX = 'p/';
/** Few characters, so keys share stems and cut points often; the last three sort differently in UTF-16 and in UTF-8. */
const CHARS = ['0', '1', '9', 'a', 'z', 'Q', '.', 'é', '\uE000', '\uFFFD', '😀'];
const suffix = fc.array(fc.constantFrom(...CHARS), { minLength: 0, maxLength: 5 }).map((chars) => chars.join(''));
/** S3's order, straight from the bytes: the server below does not use the code under test to sort. */
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const keySet = fc.uniqueArray(suffix, { maxLength: 120 }).map((suffixes) => suffixes.map((s) => PREFIX + s).sort(utf8Order));
const tick = () => new Promise((resolve) => setImmediate(resolve));

interface Server {
  fetchPage: FetchRangePage<string>;
  readonly requests: number;
  readonly maxInFlight: number;
  /** Requests in flight when each one started, itself included. */
  readonly inFlightAtStart: number[];
}

/**
 * ListObjectsV2 over a sorted array: pages of `pageSize` keys after `start-after` (unless the server
 * ignores it) or after a continuation token, each answered after a few turns of the event loop.
 */
function simulatedServer(
  keys: readonly string[],
  pageSize: number,
  delays: readonly number[],
  options: { ignoresStartAfter?: boolean; failAt?: number } = {},
): Server {
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const inFlightAtStart: number[] = [];
  const fetchPage: FetchRangePage<string> = async (startAfter, token, signal) => {
    const n = requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    inFlightAtStart.push(inFlight);
    try {
      for (let i = 0; i < (delays[n % delays.length] ?? 0); i++) await tick();
      signal.throwIfAborted();
      if (n === options.failAt) throw new Error(`request ${n} failed`);
      const from = token ? Number(token) : startAfter && !options.ignoresStartAfter ? firstAfter(keys, startAfter) : 0;
      const next = from + pageSize;
      return { items: keys.slice(from, next), isTruncated: next < keys.length, nextContinuationToken: next < keys.length ? String(next) : '' };
    } finally {
      inFlight--;
    }
  };
  return {
    fetchPage,
    get requests() {
      return requests;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    inFlightAtStart,
  };
}

function firstAfter(keys: readonly string[], startAfter: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (utf8Order(keys[mid]!, startAfter) > 0) high = mid;
    else low = mid + 1;
  }
  return low;
}

async function listAll(server: Server, concurrency: number, extra: { onStartAfterIgnored?: () => void; signal?: AbortSignal } = {}): Promise<string[]> {
  const listed: string[] = [];
  await listInRanges<string>({
    prefix: PREFIX,
    concurrency,
    keyOf: (key) => key,
    fetchPage: server.fetchPage,
    onItems: (items) => listed.push(...items),
    ...extra,
  });
  return listed;
}

const shape = {
  pageSize: fc.integer({ min: 1, max: 7 }),
  concurrency: fc.integer({ min: 1, max: 8 }),
  delays: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 9 }),
};

describe('listing in ranges', () => {
  it('hands on every key exactly once, whatever the page size, the concurrency and the timing', async () => {
    await fc.assert(
      fc.asyncProperty(keySet, shape.pageSize, shape.concurrency, shape.delays, async (keys, pageSize, concurrency, delays) => {
        const server = simulatedServer(keys, pageSize, delays);
        expect((await listAll(server, concurrency)).sort(utf8Order)).toEqual(keys);
        expect(server.maxInFlight).toBeLessThanOrEqual(concurrency);
        // One part lists exactly as before: one page after another.
        if (concurrency === 1) expect(server.requests).toBe(Math.max(1, Math.ceil(keys.length / pageSize)));
      }),
      { numRuns: 400 },
    );
  });

  it('stays exact against a server that ignores start-after, and says so', async () => {
    await fc.assert(
      fc.asyncProperty(keySet, shape.pageSize, shape.concurrency, shape.delays, async (keys, pageSize, concurrency, delays) => {
        let told = false;
        const listed = await listAll(simulatedServer(keys, pageSize, delays, { ignoresStartAfter: true }), concurrency, {
          onStartAfterIgnored: () => (told = true),
        });
        expect(listed.sort(utf8Order)).toEqual(keys);
        if (concurrency === 1) expect(told).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('fails as a whole when any page fails, and starts nothing after', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `${PREFIX}${i}`).sort(utf8Order);
    for (const failAt of [0, 1, 5, 12]) {
      const server = simulatedServer(keys, 10, [1, 3, 0, 2], { failAt });
      await expect(listAll(server, 8)).rejects.toThrow(`request ${failAt} failed`);
      const requests = server.requests;
      for (let i = 0; i < 10; i++) await tick();
      expect(server.requests).toBe(requests);
    }
  });

  it("stops every part when the signal aborts, with the signal's reason", async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `${PREFIX}${i}`).sort(utf8Order);
    const server = simulatedServer(keys, 10, [2, 1, 3]);
    const controller = new AbortController();
    const reason = new Error('no longer wanted');
    let batches = 0;
    const listing = listInRanges<string>({
      prefix: PREFIX,
      concurrency: 8,
      keyOf: (key) => key,
      fetchPage: server.fetchPage,
      onItems: () => ++batches === 3 && controller.abort(reason),
      signal: controller.signal,
    });
    await expect(listing).rejects.toBe(reason);
    const requests = server.requests;
    for (let i = 0; i < 10; i++) await tick();
    expect(server.requests).toBe(requests);
    await expect(
      listInRanges({
        ...{ prefix: PREFIX, concurrency: 8, keyOf: (k: string) => k, onItems: () => undefined },
        fetchPage: server.fetchPage,
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
  });

  it('lets every part hold a few abort listeners on the shared signal without a leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const keys = Array.from({ length: 400 }, (_, i) => `${PREFIX}${i}`).sort(utf8Order);
      const server = simulatedServer(keys, 10, [3]);
      const listed: string[] = [];
      await listInRanges<string>({
        prefix: PREFIX,
        concurrency: 8,
        keyOf: (key) => key,
        // As the S3 store's pages do: one listener on the request, one on the race around it.
        fetchPage: async (startAfter, token, signal) => {
          const listeners = [() => undefined, () => undefined];
          for (const l of listeners) signal.addEventListener('abort', l);
          try {
            return await server.fetchPage(startAfter, token, signal);
          } finally {
            for (const l of listeners) signal.removeEventListener('abort', l);
          }
        },
        onItems: (items) => listed.push(...items),
      });
      await tick();
      expect(server.maxInFlight).toBe(8);
      expect(listed).toHaveLength(keys.length);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('keeps all parts busy on numeric ids, for about the requests of a serial listing', async () => {
    // The demo's layout at a million users: a CSV per user, an image for half of them, a few orphans.
    const keys: string[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      keys.push(`${PREFIX}${1001 + i}.csv`);
      if (i % 2 === 0) keys.push(`${PREFIX}${1001 + i}.png`);
    }
    for (let n = 1; n <= 1000; n++) keys.push(`${PREFIX}orphan-${n}.png`);
    keys.sort(utf8Order);
    const server = simulatedServer(keys, 1000, [1]);
    const listed = await listAll(server, 8);
    expect(listed.length).toBe(keys.length);
    const serial = Math.ceil(keys.length / 1000);
    expect(server.requests).toBeLessThanOrEqual(serial * 1.05);
    const meanInFlight = server.inFlightAtStart.reduce((a, b) => a + b, 0) / server.inFlightAtStart.length;
    expect(meanInFlight).toBeGreaterThan(7.5);
  }, 30_000);
});
