import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageInYears, utcDateKey } from '../../src/query/age.js';
import { naturalCompare } from '../../src/query/naturalCompare.js';
import { MAX_PAGE_ROWS, positionAfter, selectPage } from '../../src/query/page.js';
import { EMPTY_TABLE, ageHistogram } from '../../src/query/table.js';
import { tableBuild } from '../../src/query/build.js';
import { runToEnd } from '../../src/util/steps.js';

/** A table built in one go. */
const buildTable = (...args: Parameters<typeof tableBuild>) => runToEnd(tableBuild(...args));
import { CacheEntry } from '../../src/sync/fullSync.js';

const NOW = Date.UTC(2026, 10, 22, 12);

interface Person {
  id: string;
  birthts: number;
  hasImage: boolean;
}

/** Ids from a small alphabet of digits and letters, so that numeric runs, leading zeros and ties occur. */
const people = fc.uniqueArray(
  fc.record({
    id: fc.string({ unit: fc.constantFrom('0', '1', '2', '9', 'a', 'b', '-'), minLength: 1, maxLength: 4 }),
    birthts: fc.integer({ min: Date.UTC(1930, 0, 1), max: NOW }),
    hasImage: fc.boolean(),
  }),
  { selector: (p) => p.id, maxLength: 60 },
);
const filters = fc
  .record({ minAge: fc.integer({ min: 0, max: 100 }), maxAge: fc.integer({ min: 0, max: 100 }), imageExists: fc.boolean() }, { requiredKeys: [] })
  .filter((f) => f.minAge === undefined || f.maxAge === undefined || f.minAge <= f.maxAge);

function tableOf(list: readonly Person[]) {
  const entries = new Map<string, CacheEntry>();
  for (const { id, birthts, hasImage } of list) {
    const entry = new CacheEntry();
    entry.row = { user_id: id, first_name: 'F', last_name: 'L', birthts, img_path: hasImage ? `p/${id}.png` : null, extra: {} };
    entry.birthKey = utcDateKey(birthts);
    entries.set(id, entry);
  }
  return buildTable(entries, EMPTY_TABLE);
}

/** Reference: the matching people, row by row, in `user_id` order. */
function matching(list: readonly Person[], f: { minAge?: number; maxAge?: number; imageExists?: boolean }) {
  return list
    .map((p) => ({ ...p, age: ageInYears(p.birthts, NOW) }))
    .filter((p) => (f.minAge === undefined || p.age >= f.minAge) && (f.maxAge === undefined || p.age <= f.maxAge))
    .filter((p) => f.imageExists === undefined || p.hasImage === f.imageExists)
    .sort((a, b) => naturalCompare(a.id, b.id));
}

describe('selectPage', () => {
  it('pages through exactly the matching rows, in order, each once, with the right totals', () => {
    fc.assert(
      fc.property(people, filters, fc.integer({ min: 1, max: 9 }), (list, f, limit) => {
        const table = tableOf(list);
        const expected = matching(list, f).map((p) => p.id);
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = selectPage(table, f, utcDateKey(NOW), { limit, after });
          expect(page.total).toBe(expected.length);
          expect(page.rows.length).toBeLessThanOrEqual(limit);
          seen.push(...page.rows.map((r) => r.user_id));
          expect(page.hasMore).toBe(seen.length < expected.length);
          if (!page.hasMore) break;
          after = page.rows.at(-1)!.user_id;
        }
        expect(seen).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('starts after any id, present or not, by the natural order', () => {
    fc.assert(
      fc.property(people, fc.string({ unit: fc.constantFrom('0', '1', '9', 'a', '-'), maxLength: 4 }), (list, after) => {
        const table = tableOf(list);
        const rest = matching(list, {})
          .map((p) => p.id)
          .filter((id) => naturalCompare(id, after) > 0);
        expect(positionAfter(table.rows, after)).toBe(table.rows.length - rest.length);
        expect(selectPage(table, {}, utcDateKey(NOW), { limit: MAX_PAGE_ROWS, after }).rows.map((r) => r.user_id)).toEqual(rest);
      }),
    );
  });

  it('applies a where predicate too', () => {
    const table = tableOf([
      { id: '1', birthts: Date.UTC(1990, 0, 1), hasImage: true },
      { id: '2', birthts: Date.UTC(1991, 0, 1), hasImage: false },
      { id: '3', birthts: Date.UTC(1992, 0, 1), hasImage: true },
    ]);
    const page = selectPage(table, { where: (r) => r.user_id !== '2' }, utcDateKey(NOW), { limit: 1 });
    expect(page).toMatchObject({ total: 2, hasMore: true, rows: [{ user_id: '1' }] });
  });

  it.each([0, -1, 1.5, MAX_PAGE_ROWS + 1, Number.NaN])('refuses limit %s, naming it', (limit) => {
    expect(() => selectPage(EMPTY_TABLE, {}, utcDateKey(NOW), { limit })).toThrow(/limit must be an integer from 1 to 10000/);
  });

  it('checks the filters like every other query', () => {
    expect(() => selectPage(EMPTY_TABLE, { minAge: 5, maxAge: 4 }, utcDateKey(NOW), { limit: 1 })).toThrow(
      /minAge \(5\) must not be greater than maxAge \(4\)/,
    );
  });
});

describe('ageHistogram', () => {
  it('counts the matching users per age as row by row, youngest first, without empty ages', () => {
    fc.assert(
      fc.property(people, filters, fc.boolean(), (list, f, withWhere) => {
        const table = tableOf(list);
        const keep = withWhere ? (r: { user_id: string }) => r.user_id.length % 2 === 0 : undefined;
        const counts = new Map<number, number>();
        for (const p of matching(list, f)) if (!keep || keep({ user_id: p.id })) counts.set(p.age, (counts.get(p.age) ?? 0) + 1);
        const expected = [...counts].sort(([a], [b]) => a - b).map(([age, count]) => ({ age, count }));
        expect(ageHistogram(table, { ...f, where: keep }, utcDateKey(NOW))).toEqual(expected);
      }),
      { numRuns: 1_000 },
    );
  });
});
