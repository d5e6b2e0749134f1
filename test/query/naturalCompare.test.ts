import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naturalCompare } from '../../src/query/naturalCompare.js';

describe('naturalCompare', () => {
  it('orders digit runs by value and keeps everything else in code-unit order', () => {
    const ids = ['10', 'alice-smith', '2', '1001', '1', 'user10', 'user9', '001', 'Zed', '9a', '9'];
    expect([...ids].sort(naturalCompare)).toEqual(['001', '1', '2', '9', '9a', '10', '1001', 'Zed', 'alice-smith', 'user9', 'user10']);
  });

  it('sorts numeric ids like numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 10_000_000 })), (numbers) => {
        const sorted = numbers.map(String).sort(naturalCompare).map(Number);
        expect(sorted).toEqual([...numbers].sort((a, b) => a - b));
      }),
    );
  });

  it('is a total order: antisymmetric, zero only for equal strings, transitive', () => {
    const id = fc.stringMatching(/^[a-c0-9_]{0,6}$/);
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        expect(Math.sign(naturalCompare(a, b)) + Math.sign(naturalCompare(b, a))).toBe(0);
        expect(naturalCompare(a, b) === 0).toBe(a === b);
        if (naturalCompare(a, b) <= 0 && naturalCompare(b, c) <= 0) expect(naturalCompare(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 5_000 },
    );
  });
});
