import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { positionsByKey } from '../../src/query/positions.js';

/** Reference: every position, sorted by key then position with a plain comparator. */
function reference(keys: number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

describe('positionsByKey', () => {
  it('orders positions by key, ties by position, for integer keys of any span (one to four radix passes)', () => {
    const spans = [10, 70_000, 2 ** 40, 2 ** 52];
    fc.assert(
      fc.property(
        fc.constantFrom(...spans),
        fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 300 }),
        (span, base, fractions) => {
          const keys = fractions.map((f) => base + Math.floor(f * span));
          expect(Array.from(positionsByKey(Float64Array.from(keys)))).toEqual(reference(keys));
        },
      ),
    );
  });

  it('orders fractional keys, and keys whose span is too wide for exact offsets, the same way', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), { maxLength: 200 }), (keys) => {
        expect(Array.from(positionsByKey(Float64Array.from(keys)))).toEqual(reference(keys));
      }),
    );
    const wide = [2 ** 60, -(2 ** 60), 3, 3, -1];
    expect(Array.from(positionsByKey(Float64Array.from(wide)))).toEqual([1, 4, 2, 3, 0]);
  });

  it('sorts a million birth keys', () => {
    const keys = new Float64Array(1_000_000);
    for (let i = 0; i < keys.length; i++) keys[i] = 19_000_101 + ((i * 7919) % 1_200_000);
    const order = positionsByKey(keys);
    let outOfOrder = 0;
    for (let i = 1; i < order.length; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      if (!(keys[a]! < keys[b]! || (keys[a] === keys[b] && a < b))) outOfOrder++;
    }
    expect(new Set(order).size).toBe(keys.length);
    expect(outOfOrder).toBe(0);
  });
});
