import type * as HyparquetWriter from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet-writer';
import { DEFAULT_COLUMNS, type BaseColumn, type UserRow } from '../model.js';
import { asBuffer } from '../util/buffers.js';
import { cell } from './columns.js';
import { encodeOnThread } from './parquetThread.js';

/** The media type of Parquet files, as registered with IANA. */
export const PARQUET_MEDIA_TYPE = 'application/vnd.apache.parquet';
/** The writer named in every file's metadata. */
export const PARQUET_CREATED_BY = 'user-data-transformer';

/**
 * Rows per row group. Engines read row groups in parallel and skip them by their statistics: a
 * million users make ten, each a few MB, sizes DuckDB and Spark read well.
 */
export const PARQUET_ROW_GROUP_ROWS = 100_000;

/** The columns with a type of their own; every other one (the default `img_path`, extra CSV columns) is optional UTF-8 text. */
const TYPED: Partial<Record<BaseColumn, SchemaElement>> = {
  user_id: { name: 'user_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  first_name: { name: 'first_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  last_name: { name: 'last_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  // Milliseconds since the epoch, UTC: engines read it as a TIMESTAMP.
  birthts: { name: 'birthts', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
};

type ParquetModule = typeof HyparquetWriter;
let loading: Promise<ParquetModule> | undefined;

/**
 * The writer, loaded on first use: a pure-JavaScript library of about 1 MB that a service which
 * never writes Parquet does not need to hold in memory.
 */
function loadWriter(): Promise<ParquetModule> {
  loading ??= import('hyparquet-writer');
  return loading;
}

/** The Parquet schema of `columns`: the typed ones as above, the rest optional UTF-8 text. */
export function parquetSchema(columns: readonly string[]): SchemaElement[] {
  // Own keys only: an extra CSV column may be called `constructor` or `toString`.
  const leaves = columns.map(
    (name): SchemaElement =>
      (Object.hasOwn(TYPED, name) ? TYPED[name as BaseColumn] : undefined) ?? { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  );
  return [{ name: 'schema', num_children: leaves.length }, ...leaves];
}

/** Encodes a page's worth of rows (one row group) right here, on the calling thread. */
function encodeInPlace(writer: ParquetModule, rows: readonly UserRow[], columns: readonly string[]): Uint8Array {
  const bytes = new writer.ByteWriter();
  const parquet = new writer.ParquetWriter({ writer: bytes, schema: parquetSchema(columns), createdBy: PARQUET_CREATED_BY });
  if (rows.length > 0) void parquet.write({ columnData: columns.map((name) => ({ name, data: columnValues(rows, name) })), rowGroupSize: rows.length });
  void parquet.finish();
  return new Uint8Array(bytes.getBuffer());
}

/** One column, as the writer takes it: 64-bit integers for the timestamp, text otherwise. */
function columnValues(rows: readonly UserRow[], column: string): BigInt64Array | (string | null)[] {
  if (column === 'birthts') return BigInt64Array.from(rows, (row) => BigInt(row.birthts));
  return rows.map((row) => {
    const value = cell(row, column);
    return value === null ? null : String(value);
  });
}

/** Up to this many rows are encoded on the event loop (about 20 ms); more go to a thread of their own. */
export const PARQUET_INLINE_MAX_ROWS = 2_048;

/**
 * The rows as a Parquet file: the chosen columns in order, raw values (formula escaping is a CSV
 * concern), Snappy-compressed, `PARQUET_ROW_GROUP_ROWS` rows per row group. A few rows are encoded
 * right here; more on a thread of their own (see `encodeOnThread`), since the writer encodes a row
 * group in one go and the event loop must stay free. `signal` gives up and stops that thread.
 */
export async function encodeParquet(
  rows: readonly UserRow[],
  columns: readonly string[] = DEFAULT_COLUMNS,
  { signal }: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const file = { schema: parquetSchema(columns), groupRows: PARQUET_ROW_GROUP_ROWS, createdBy: PARQUET_CREATED_BY };
  if (rows.length > PARQUET_INLINE_MAX_ROWS) return encodeOnThread(rows, file, signal);
  return encodeInPlace(await loadWriter(), rows, columns);
}

/**
 * Whether a Parquet file holds users: anything but the exact file an empty table encodes to (the
 * same columns always encode to the same bytes) counts as holding some.
 */
export async function parquetHoldsRows(existing: Uint8Array, columns: readonly string[] = DEFAULT_COLUMNS): Promise<boolean> {
  const empty = await encodeParquet([], columns);
  return !asBuffer(existing).equals(asBuffer(empty));
}
