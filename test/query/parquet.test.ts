import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { encodeParquet, PARQUET_INLINE_MAX_ROWS, PARQUET_ROW_GROUP_ROWS } from '../../src/format/parquet.js';
import { DEFAULT_COLUMNS, type UserRow } from '../../src/model.js';
import { readParquet } from '../support/duckdb.js';
import { row } from '../support/rows.js';

/** A row as DuckDB gives it back: the default columns, `birthts` through `epoch_ms`. */
const plain = ({ extra: _extra, ...rest }: UserRow) => rest;

describe('encodeParquet, read back by DuckDB', () => {
  it('holds exactly the rows, in order, with text columns, a timestamp and null for no image', async () => {
    const rows = [
      row('1', 'Smith, Jr', 'O"Brien', -2_208_988_800_000, 'data/1.png'), // 1900-01-01
      row('2', '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", -1, null),
      row('10', 'Жанна', '李小龍', 0, 'data/10.jpeg'),
      row('11', 'Zoë', 'multi\nline', 946_684_800_123, null),
      row('-42', ' padded ', 'tab\there', 1_700_000_000_000, 'data/-42.jpg'),
    ];
    const back = await readParquet(await encodeParquet(rows));
    expect(back.types).toEqual({ user_id: 'VARCHAR', first_name: 'VARCHAR', last_name: 'VARCHAR', birthts: 'TIMESTAMP', img_path: 'VARCHAR' });
    expect(back.rows).toEqual(rows.map(plain));
  });

  it('writes raw values: formulas are not escaped, as they are in CSV', async () => {
    const back = await readParquet(await encodeParquet([row('1', '=1+1', '@SUM(A1)', 0, null)]));
    expect(back.rows[0]).toMatchObject({ first_name: '=1+1', last_name: '@SUM(A1)' });
  });

  it('round-trips any text and any birth date in range', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    const user = fc.record({
      first_name: text,
      last_name: text,
      birthts: fc.integer({ min: -4_733_510_400_000, max: 4_102_444_800_000 }),
      img_path: fc.option(text, { nil: null }),
    });
    const rows = fc.sample(user, { numRuns: 300, seed: 7 }).map((u, i) => row(String(i), u.first_name, u.last_name, u.birthts, u.img_path));
    const back = await readParquet(await encodeParquet(rows));
    expect(back.rows).toEqual(rows.map(plain));
  });

  it('writes an empty table as a valid file with the same columns', async () => {
    const back = await readParquet(await encodeParquet([]));
    expect(Object.keys(back.types)).toEqual([...DEFAULT_COLUMNS]);
    expect(back.types.birthts).toBe('TIMESTAMP');
    expect(back.rows).toEqual([]);
  });

  it('writes the chosen columns in order, extra CSV columns as text (null where a user has none)', async () => {
    const rows = [row('1', 'Ann', 'Lee', 0, null, { city: 'Oslo' }), row('2', 'Bo', 'Ek', 1, null)];
    const back = await readParquet(await encodeParquet(rows, ['city', 'user_id', 'birthts']));
    expect(back.types).toEqual({ city: 'VARCHAR', user_id: 'VARCHAR', birthts: 'TIMESTAMP' });
    expect(back.rows).toEqual([
      { city: 'Oslo', user_id: '1', birthts: 0 },
      { city: null, user_id: '2', birthts: 1 },
    ]);
  });

  it(`splits a large table into row groups of ${PARQUET_ROW_GROUP_ROWS} rows, keeping the order`, async () => {
    const n = 2 * PARQUET_ROW_GROUP_ROWS + 17;
    const rows = Array.from({ length: n }, (_, i) => row(String(i + 1), `F${i % 97}`, `L${i % 89}`, i * 86_400_000, i % 3 === 0 ? null : `d/${i}.png`));
    const back = await readParquet(await encodeParquet(rows));
    expect(back.rowGroups).toBe(3);
    expect(back.rows.length).toBe(n);
    expect(back.rows[n - 1]).toEqual(plain(rows[n - 1]!));
    expect(back.rows.map((r) => r.user_id)).toEqual(rows.map((r) => r.user_id));
  }, 60_000);

  it('encodes a large table on a thread of its own with the same result, every kind of value included', async () => {
    const names = ['Smith, Jr', 'O"Brien', '=1+1', 'Жанна', '李小龍', ' padded ', 'multi\nline', ''];
    const n = PARQUET_INLINE_MAX_ROWS * 2 + 3;
    const rows = Array.from({ length: n }, (_, i) =>
      row(
        String(i),
        names[i % names.length]!,
        names[(i * 3) % names.length]!,
        (i - 9_000) * 86_400_123,
        i % 4 ? `d/${i}.png` : null,
        i % 5 ? {} : { city: 'Oslo' },
      ),
    );
    const back = await readParquet(await encodeParquet(rows, [...DEFAULT_COLUMNS, 'city']));
    expect(back.types.birthts).toBe('TIMESTAMP');
    expect(back.rows).toEqual(rows.map((r) => ({ ...plain(r), city: r.extra.city ?? null })));
  }, 60_000);

  it('lets the event loop run all along while a large table is encoded', async () => {
    const n = 2 * PARQUET_ROW_GROUP_ROWS;
    const rows = Array.from({ length: n }, (_, i) => row(String(i + 1), `F${i % 97}`, `L${i % 89}`, i * 86_400_000, null));
    await encodeParquet(rows.slice(0, 10)); // the writer is loaded: its import takes turns of its own
    let turns = 0;
    let encoding = true;
    const ticking = (async () => {
      while (encoding) {
        await nextTurn();
        turns++;
      }
    })();
    const bytes = await encodeParquet(rows).finally(() => (encoding = false));
    await ticking;
    expect(bytes.length).toBeGreaterThan(0);
    // Encoded on the event loop, the two row groups would leave it a handful of turns at most.
    expect(turns).toBeGreaterThan(2 * (n / 8_192));
  }, 60_000);

  it('rejects with the reason when the thread fails, and the next encode works', async () => {
    const rows = Array.from({ length: 3 * PARQUET_ROW_GROUP_ROWS }, (_, i) => row(String(i), 'A', 'B', i === 5 ? Number.NaN : i, null));
    await expect(encodeParquet(rows)).rejects.toThrow(/Parquet encoding failed: .*NaN/);
    const fine = rows.slice(0, PARQUET_INLINE_MAX_ROWS + 1).map((r, i) => ({ ...r, birthts: i }));
    expect((await readParquet(await encodeParquet(fine))).rows).toHaveLength(fine.length);
  }, 60_000);

  it('gives up when its signal is aborted, and the next encode works', async () => {
    const rows = Array.from({ length: 3 * PARQUET_ROW_GROUP_ROWS }, (_, i) => row(String(i), 'A', 'B', i, null));
    const controller = new AbortController();
    const encoding = encodeParquet(rows, DEFAULT_COLUMNS, { signal: controller.signal });
    controller.abort(new Error('the client went away'));
    await expect(encoding).rejects.toThrow('the client went away');
    expect((await readParquet(await encodeParquet(rows.slice(0, 5_000)))).rows).toHaveLength(5_000);
  }, 60_000);

  it('gives up at once on an encode still waiting its turn, without disturbing the one running', async () => {
    const rows = Array.from({ length: 2 * PARQUET_ROW_GROUP_ROWS }, (_, i) => row(String(i), 'A', 'B', i, null));
    let firstDone = false;
    const first = encodeParquet(rows).then((bytes) => ((firstDone = true), bytes));
    const controller = new AbortController();
    const second = encodeParquet(rows, DEFAULT_COLUMNS, { signal: controller.signal });
    controller.abort(new Error('the client went away'));
    await expect(second).rejects.toThrow('the client went away');
    expect(firstDone).toBe(false);
    expect((await readParquet(await first)).rows).toHaveLength(rows.length);
  }, 60_000);

  it('takes an extra column named like a property every object has', async () => {
    const extra = Object.assign(Object.create(null) as Record<string, string>, { constructor: 'x', toString: 'y' });
    const rows = [row('1', 'Ann', 'Lee', 0, null, extra)];
    const back = await readParquet(await encodeParquet(rows, ['user_id', 'constructor', 'toString']));
    expect(back.rows).toEqual([{ user_id: '1', constructor: 'x', toString: 'y' }]);
  });
});
