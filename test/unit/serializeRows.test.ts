import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeRows } from '../../src/service/routes/data.js';

describe('serializeRows', () => {
  it('is exactly JSON.stringify of the API columns, whatever the strings hold', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', 'é', '\u2028', '😀', ',', '}') });
    const row = fc.record({
      user_id: text,
      first_name: text,
      last_name: text,
      birthts: fc.integer({ min: -8.64e15, max: 8.64e15 }),
      img_path: fc.option(text, { nil: null }),
      extra: fc.constant({ city: 'hidden' }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 5 }), (rows) => {
        const expected = rows.map(({ user_id, first_name, last_name, birthts, img_path }) => ({ user_id, first_name, last_name, birthts, img_path }));
        expect(serializeRows(rows)).toBe(JSON.stringify(expected));
        const cache = new WeakMap();
        expect(serializeRows(rows, cache)).toBe(JSON.stringify(expected));
        expect(serializeRows(rows, cache)).toBe(JSON.stringify(expected)); // from the cache
      }),
    );
  });
});
