import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runToEnd } from '../../src/util/steps.js';
import { encodeAll, encodeAllSteps, encoderFor } from '../../src/service/formats.js';

/** The JSON array `GET /data` answers for these rows, through the same encoder. */
const serializeRows = (rows: Parameters<typeof encodeAll>[1], jsonCache?: WeakMap<object, string>) =>
  encodeAll(encoderFor('json', { escapeFormulas: true, jsonCache }), rows);

describe('the JSON encoder', () => {
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

describe('encodeAllSteps', () => {
  it('gives, slice by slice, the bytes encodeAll gives in one piece, in every format', () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => ({
      user_id: String(i),
      first_name: i % 9 ? `F${i}` : 'Smith, "Jr"',
      last_name: 'é',
      birthts: i * 86_400_000,
      img_path: i % 2 ? `p/${i}.png` : null,
      extra: {},
    }));
    for (const format of ['json', 'csv', 'ndjson'] as const) {
      for (const some of [rows, rows.slice(0, 1), []]) {
        const steps = encodeAllSteps(encoderFor(format, { escapeFormulas: true }), some);
        let pauses = 0;
        let step = steps.next();
        for (; !step.done; step = steps.next()) pauses++;
        expect(step.value.toString()).toBe(encodeAll(encoderFor(format, { escapeFormulas: true }), some));
        if (some === rows) expect(pauses).toBeGreaterThanOrEqual(3);
      }
    }
    expect(JSON.parse(runToEnd(encodeAllSteps(encoderFor('json', { escapeFormulas: true }), rows)).toString())).toHaveLength(5_000);
  });
});
