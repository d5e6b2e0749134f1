import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageInYears, utcDateKey } from '../../src/query/age.js';
import { forgetEntry, type SyncState } from '../../src/cache/entries.js';
import { CacheEntry } from '../../src/sync/fullSync.js';
import { naturalCompare } from '../../src/query/naturalCompare.js';
import { EMPTY_TABLE, averageAge, selectRows } from '../../src/query/table.js';
import { tableBuild } from '../../src/query/build.js';
import { runToEnd } from '../../src/util/steps.js';

/** A table built in one go. */
const buildTable = (...args: Parameters<typeof tableBuild>) => runToEnd(tableBuild(...args));

const NOW = Date.UTC(2026, 10, 22, 12);

/** Random users; ages cluster in a few decades so narrow age ranges still match someone. */
const users = fc.array(fc.record({ birthts: fc.integer({ min: Date.UTC(1930, 0, 1), max: NOW }), hasImage: fc.boolean() }), { minLength: 1, maxLength: 120 });
const filters = fc
  .record({ minAge: fc.integer({ min: 0, max: 100 }), maxAge: fc.integer({ min: 0, max: 100 }), imageExists: fc.boolean() }, { requiredKeys: [] })
  .filter((f) => f.minAge === undefined || f.maxAge === undefined || f.minAge <= f.maxAge);

function tableOf(people: { birthts: number; hasImage: boolean }[]) {
  const entries = new Map<string, CacheEntry>();
  people.forEach(({ birthts, hasImage }, i) => {
    const entry = new CacheEntry();
    const id = String(i + 1);
    entry.row = { user_id: id, first_name: 'F', last_name: 'L', birthts, img_path: hasImage ? `p/${id}.png` : null, extra: {} };
    entry.birthKey = utcDateKey(birthts);
    entries.set(id, entry);
  });
  return buildTable(entries, EMPTY_TABLE);
}

/** Reference: the filters applied row by row with the plain age function. */
function reference(people: { birthts: number; hasImage: boolean }[], f: { minAge?: number; maxAge?: number; imageExists?: boolean }) {
  return people
    .map((p, i) => ({ ...p, position: i, age: ageInYears(p.birthts, NOW) }))
    .filter((p) => (f.minAge === undefined || p.age >= f.minAge) && (f.maxAge === undefined || p.age <= f.maxAge))
    .filter((p) => f.imageExists === undefined || p.hasImage === f.imageExists);
}

describe('table queries', () => {
  it('select the same rows, in table order, as filtering row by row (index and scan paths alike)', () => {
    fc.assert(
      fc.property(users, filters, (people, f) => {
        const table = tableOf(people);
        const expected = reference(people, f).map((p) => String(p.position + 1));
        expect(selectRows(table, f, utcDateKey(NOW)).map((i) => table.rows[i]!.user_id)).toEqual([...expected].sort((a, b) => Number(a) - Number(b)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('average completed years exactly as computed row by row', () => {
    fc.assert(
      fc.property(users, filters, (people, f) => {
        const matched = reference(people, f);
        const sum = matched.reduce((s, p) => s + p.age, 0);
        expect(averageAge(tableOf(people), f, utcDateKey(NOW))).toEqual({ averageAge: matched.length ? sum / matched.length : null, count: matched.length });
      }),
      { numRuns: 2_000 },
    );
  });

  it('uses the birth index for narrow ranges: a single age year on a large table', () => {
    const people = Array.from({ length: 400 }, (_, i) => ({ birthts: Date.UTC(1940 + (i % 80), i % 12, 1 + (i % 28)), hasImage: i % 3 === 0 }));
    const table = tableOf(people);
    const f = { minAge: 40, maxAge: 40 };
    const selected = selectRows(table, f, utcDateKey(NOW));
    expect(selected.length).toBeGreaterThan(0);
    expect(selected.length).toBeLessThanOrEqual(table.rows.length / 8); // within the index path's reach
    expect(selected.map((i) => table.rows[i]!.user_id)).toEqual(reference(people, f).map((p) => String(p.position + 1)));
  });
});

describe('table order', () => {
  it('puts rows in naturalCompare order of their user ids, whatever mix of ids', () => {
    const id = fc.oneof(
      fc.integer({ min: 0, max: 2_000 }).map(String),
      fc.constantFrom('007', '07', '0', '00', '9007199254740993', '123456789012345', '1234567890123456', 'a1', 'a01', 'b', 'x10y2', 'x10y10', 'Ä', '1e3'),
      fc.stringMatching(/^[a-c0-9]{1,6}$/),
    );
    fc.assert(
      fc.property(fc.uniqueArray(id, { maxLength: 60 }), (ids) => {
        const entries = new Map<string, CacheEntry>();
        for (const userId of ids) {
          const entry = new CacheEntry();
          entry.row = { user_id: userId, first_name: 'F', last_name: 'L', birthts: 0, img_path: null, extra: {} };
          entries.set(userId, entry);
        }
        expect(buildTable(entries, EMPTY_TABLE).rows.map((r) => r.user_id)).toEqual([...ids].sort(naturalCompare));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('table rebuilds', () => {
  /** One change to the cache, as a sync or a change event makes it. */
  const change = fc.oneof(
    fc.record({ op: fc.constant('add' as const), id: fc.integer({ min: 1, max: 40 }), birthts: fc.integer({ min: 0, max: NOW }) }),
    fc.record({ op: fc.constant('forget' as const), id: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ op: fc.constant('edit' as const), id: fc.integer({ min: 1, max: 40 }), birthts: fc.integer({ min: 0, max: NOW }) }),
    fc.record({ op: fc.constant('hold back' as const), id: fc.integer({ min: 1, max: 40 }) }),
  );

  function put(state: SyncState, id: string, birthts: number): void {
    const entry = state.entries.get(id) ?? new CacheEntry();
    entry.row = { user_id: id, first_name: 'F', last_name: 'L', birthts, img_path: birthts % 2 ? `p/${id}.png` : null, extra: {} };
    entry.birthKey = utcDateKey(birthts);
    state.entries.set(id, entry);
  }

  it('give the table a build from scratch would, whatever changed since the previous build', () => {
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 12 }), { minLength: 1, maxLength: 6 }), (rounds) => {
        const state: SyncState = { entries: new Map(), images: new Map(), dirty: false };
        for (let id = 1; id <= 20; id++) put(state, String(id), id * 86_400_000 * 400);
        let table = buildTable(state.entries, EMPTY_TABLE);
        for (const round of rounds) {
          for (const c of round) {
            const id = String(c.id);
            const entry = state.entries.get(id);
            if (c.op === 'add' && !entry) put(state, id, c.birthts);
            if (c.op === 'edit' && entry?.row) put(state, id, c.birthts);
            if (c.op === 'forget' && entry) forgetEntry(state, id, entry);
            if (c.op === 'hold back' && entry) entry.row = undefined; // e.g. a birth date now out of range
          }
          const rebuilt = buildTable(state.entries, table);
          const scratch = buildTable(state.entries, EMPTY_TABLE);
          expect(rebuilt.rows).toEqual(scratch.rows);
          expect(Array.from(rebuilt.byBirth.order)).toEqual(Array.from(scratch.byBirth.order));
          expect(rebuilt.version).toBe(table.version + 1);
          table = rebuilt;
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
