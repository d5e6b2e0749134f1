import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeInRing } from '../../src/storage/local/readWorker.js';

describe('placeInRing', () => {
  it('never places a body over one still waiting, exact fits included', () => {
    // Waiting bodies as regions laid one after another around a ring, as the reading thread writes them.
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 64 }), fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 40 }), fc.nat(), (length, sizes, drops) => {
        const regions: { start: number; end: number }[] = [];
        let dropped = 0;
        for (const bytes of sizes) {
          if (bytes > length) continue;
          if (regions.length > 0 && (drops >> dropped++) % 2 === 1) regions.shift(); // the event loop took the oldest
          const start = regions.length === 0 ? 0 : placeInRing(length, regions[0]!.start, regions.at(-1)!.end, bytes);
          if (start === undefined) continue;
          expect(start + bytes).toBeLessThanOrEqual(length);
          for (const r of regions) expect(start + bytes <= r.start || start >= r.end).toBe(true);
          regions.push({ start, end: start + bytes });
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('refuses a body that would end exactly where the oldest waiting one starts', () => {
    expect(placeInRing(100, 10, 100, 10)).toBeUndefined(); // wrapping to 0 would end at 10
    expect(placeInRing(100, 10, 100, 9)).toBe(0);
    expect(placeInRing(100, 50, 20, 30)).toBeUndefined(); // wrapped: 20..50 is exactly 30
    expect(placeInRing(100, 50, 20, 29)).toBe(20);
    expect(placeInRing(100, 10, 60, 40)).toBe(60);
  });
});
