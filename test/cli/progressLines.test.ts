import { describe, expect, it } from 'vitest';
import { createReporter, formatDuration, progressMode, rateAndEta } from '../../src/cli/progress.js';

/** A stream that keeps what is written, and a clock the test moves. */
function harness() {
  const lines: string[] = [];
  const stream = { write: (text: string) => lines.push(...text.split('\n').filter(Boolean)) } as unknown as NodeJS.WriteStream;
  const clock = { ms: 1_000_000 };
  return { lines, stream, clock, now: () => clock.ms };
}

/** The part of a sync report the progress display reads. */
const REPORT = { listed: 5000 };

describe('progress for logs', () => {
  it('picks a bar on a terminal, lines only when asked, nothing when told', () => {
    expect(progressMode(undefined, true)).toBe('bar');
    expect(progressMode(true, true)).toBe('bar');
    expect(progressMode(false, true)).toBe('off');
    expect(progressMode(undefined, false)).toBe('off');
    expect(progressMode(true, false)).toBe('lines');
  });

  it('writes at most one line a second, plus the start and the end of each phase', () => {
    const { lines, stream, clock, now } = harness();
    const reporter = createReporter('lines', stream, now);
    for (let listed = 1000; listed <= 5000; listed += 1000) {
      clock.ms += 400;
      reporter.update({ phase: 'listing', listed, done: 0, total: 0 });
    }
    for (let done = 1; done <= 1000; done++) {
      clock.ms += 10; // 100 downloads a second, for 10 s
      reporter.update({ phase: 'downloading', listed: 5000, done, total: 1000 });
    }
    reporter.finish(REPORT);
    expect(lines[0]).toBe('sync: listing the source');
    expect(lines.filter((l) => l.startsWith('sync: listing,'))).toEqual(['sync: listing, 3000 objects so far']);
    expect(lines).toContain('sync: listed 5000 objects in 2.0s; downloading 1000 CSVs');
    const downloading = lines.filter((l) => l.startsWith('sync: downloading '));
    expect(downloading.length).toBeGreaterThanOrEqual(9);
    expect(downloading.length).toBeLessThanOrEqual(10);
    expect(downloading[0]).toMatch(/^sync: downloading 10\d\/1000 CSVs \(10%\), 100\/s, ETA 9\.0s$/);
    expect(lines.at(-1)).toBe('sync: downloaded 1000/1000 CSVs in 10.0s (100/s)');
  });

  it('says so when a sync had nothing to download, and nothing more when it failed', () => {
    const quiet = harness();
    const reporter = createReporter('lines', quiet.stream, quiet.now);
    quiet.clock.ms += 1500;
    reporter.finish(REPORT);
    expect(quiet.lines).toEqual(['sync: listing the source', 'sync: listed 5000 objects in 1.5s; nothing to download']);
    const failed = harness();
    createReporter('lines', failed.stream, failed.now).finish(undefined);
    expect(failed.lines).toEqual(['sync: listing the source']);
  });

  it('formats durations, rates and ETAs for people', () => {
    expect([0, 1234, 42_400, 185_000, 7_620_000].map(formatDuration)).toEqual(['0.0s', '1.2s', '42s', '3m05s', '2h07m']);
    expect(rateAndEta(0, 10, 0)).toEqual({ rate: '?/s', eta: '?' });
    expect(rateAndEta(5, 5, 2000)).toEqual({ rate: '2.5/s', eta: '2.0s' });
    expect(rateAndEta(300, 3000, 1000)).toEqual({ rate: '300/s', eta: '10s' });
  });
});
