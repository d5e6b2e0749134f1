import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartialExportError } from '../../src/errors.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { BACKENDS, type Backend } from '../support/backends.js';
import { readParquet } from '../support/duckdb.js';

const P = 'source_data/';
const NOW = Date.UTC(2026, 10, 22, 12);

/** Users whose names need quoting, escaping or more than Latin letters, born before and after 1970. */
const USERS: [string, string, string, number, boolean][] = [
  ['1', 'Smith, Jr', 'O"Brien', Date.UTC(1950, 0, 2), true],
  ['2', '=HYPERLINK("x")', 'Lee', Date.UTC(1969, 11, 31), false],
  ['10', 'Жанна', '李', Date.UTC(1990, 5, 6), true],
  ['11', 'Zoë', 'Ørsted', Date.UTC(2001, 1, 3), false],
];

async function seed(b: Backend) {
  for (const [id, first, last, born, image] of USERS) {
    const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
    await b.write(`${P}${id}.csv`, `first_name,last_name,birthts\n${quote(first)},${quote(last)},${born}\n`);
    if (image) await b.write(`${P}${id}.png`, Buffer.from([0x89, 0x50]));
  }
}

/** The output CSV parsed back into the columns DuckDB gives, formula escaping undone. */
function csvRows(text: string) {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
  const unescape = (v: string) => (v.startsWith("'=") ? v.slice(1) : v);
  return parsed.map((r) => ({
    user_id: r.user_id,
    first_name: unescape(r.first_name!),
    last_name: r.last_name,
    birthts: Number(r.birthts),
    img_path: r.img_path === '' ? null : r.img_path,
  }));
}

describe.each(BACKENDS)('exportOutput writes Parquet beside the CSV on $name', ({ create }) => {
  let b: Backend;
  let t: UserDataTransformer;
  beforeEach(async () => {
    b = await create();
    await seed(b);
    t = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW });
    await t.sync();
  });
  afterEach(() => b.cleanup());

  it('processed_data/output.parquet holds the same users in the same order as output.csv, typed', async () => {
    const written = await t.exportOutput();
    expect(written).toMatchObject({ key: 'processed_data/output.csv', users: 4, parquet: { key: 'processed_data/output.parquet' } });
    const parquet = await b.store.get('processed_data/output.parquet');
    const csv = await b.store.get('processed_data/output.csv');
    expect(parquet?.length).toBe(written.parquet?.bytes);
    const back = await readParquet(parquet!);
    expect(back.types.birthts).toBe('TIMESTAMP');
    expect(back.rows).toEqual(csvRows(csv!.toString('utf8')));
    expect(back.rows.map((r) => r.user_id)).toEqual(['1', '2', '10', '11']);
    expect(back.rows[1]).toMatchObject({ first_name: '=HYPERLINK("x")', img_path: null });
  });

  it('writes only the CSV to another key unless given a Parquet key, and none with parquetKey null', async () => {
    expect((await t.exportOutput('exports/a.csv')).parquet).toBeNull();
    expect(await b.store.get('processed_data/output.parquet')).toBeNull();
    const both = await t.exportOutput('exports/b.csv', { parquetKey: 'exports/b.parquet' });
    expect((await readParquet((await b.store.get('exports/b.parquet'))!)).rows.length).toBe(4);
    expect(both.parquet?.key).toBe('exports/b.parquet');
    expect((await t.exportOutput(undefined, { parquetKey: null })).parquet).toBeNull();
    expect(await b.store.get('processed_data/output.parquet')).toBeNull();
  });

  it('puts the Parquet file beside a custom outputKey, and refuses the same key for both', async () => {
    const custom = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW, outputKey: 'lake/users.csv' });
    expect(custom.options.outputParquetKey).toBe('lake/users.parquet');
    await custom.sync();
    expect((await custom.exportOutput()).parquet?.key).toBe('lake/users.parquet');
    expect(() => new UserDataTransformer({ store: b.store, outputKey: 'lake/u', outputParquetKey: 'lake/u' })).toThrow(
      /outputParquetKey must differ from outputKey/,
    );
  });

  it('writes no Parquet when the outputParquetKey option is null', async () => {
    const csvOnly = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW, outputParquetKey: null });
    await csvOnly.sync();
    expect((await csvOnly.exportOutput()).parquet).toBeNull();
    expect(await b.store.get('processed_data/output.parquet')).toBeNull();
  });

  it('never replaces a Parquet file that holds users with an empty one, even when the CSV is gone', async () => {
    await t.exportOutput();
    await b.remove('processed_data/output.csv');
    const before = await b.store.get('processed_data/output.parquet');
    for (const [id] of USERS) await b.remove(`${P}${id}.csv`);
    await t.sync();
    await expect(t.exportOutput()).rejects.toThrow(/processed_data\/output\.parquet still holds the previous users/);
    expect(await b.store.get('processed_data/output.parquet')).toEqual(before);
    await t.exportOutput(undefined, { allowEmpty: true });
    expect((await readParquet((await b.store.get('processed_data/output.parquet'))!)).rows).toEqual([]);
    // Now both hold no users: another empty export is no loss.
    await expect(t.exportOutput()).resolves.toMatchObject({ users: 0 });
  });

  it('writes nothing once its signal is aborted, and refuses one key for both files', async () => {
    const controller = new AbortController();
    controller.abort(new Error('past the deadline'));
    await expect(t.exportOutput(undefined, { signal: controller.signal })).rejects.toThrow('past the deadline');
    expect(await b.store.get('processed_data/output.csv')).toBeNull();
    expect(await b.store.get('processed_data/output.parquet')).toBeNull();
    await expect(t.exportOutput('out/x', { parquetKey: 'out/x' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('writes neither file when the table is empty and the output holds users', async () => {
    await t.exportOutput();
    const before = await b.store.get('processed_data/output.parquet');
    for (const [id] of USERS) await b.remove(`${P}${id}.csv`);
    await t.sync();
    await expect(t.exportOutput()).rejects.toMatchObject({ code: 'empty_source' });
    expect(await b.store.get('processed_data/output.parquet')).toEqual(before);
  });
});

describe('a Parquet write that fails after the CSV (S3)', () => {
  it('answers partial_export naming both keys; the next export writes both', async () => {
    const b = await BACKENDS[1]!.create();
    try {
      await seed(b);
      const t = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW });
      await t.sync();
      b.proxy!.inject('error500', Infinity, 'output.parquet');
      const error = await t.exportOutput().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PartialExportError);
      expect(error).toMatchObject({ code: 'partial_export', status: 503 });
      expect((error as Error).message).toMatch(/processed_data\/output\.csv holds the new export, but processed_data\/output\.parquet could not be written/);
      expect(await b.store.get('processed_data/output.csv')).not.toBeNull();
      b.proxy!.heal();
      await t.exportOutput();
      expect((await readParquet((await b.store.get('processed_data/output.parquet'))!)).rows.length).toBe(4);
    } finally {
      await b.cleanup();
    }
  });
});
