import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** What DuckDB, an independent reader, makes of a Parquet file. */
export interface ReadBack {
  /** Column name → DuckDB type, in file order. */
  types: Record<string, string>;
  /** Rows in file order; timestamps as ms since the epoch (`epoch_ms`), so they compare with `birthts`. */
  rows: Record<string, unknown>[];
  /** Row groups in the file. */
  rowGroups: number;
}

/** Runs SQL in a fresh in-memory DuckDB and returns the rows as plain JS values. */
export async function duckdb(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Reads a Parquet file (a path, or bytes written to a temporary file) with DuckDB. */
export async function readParquet(source: string | Uint8Array): Promise<ReadBack> {
  const dir = typeof source === 'string' ? null : mkdtempSync(path.join(tmpdir(), 'udt-parquet-'));
  const file = dir === null ? (source as string) : path.join(dir, 'table.parquet');
  if (dir !== null) writeFileSync(file, source as Uint8Array);
  try {
    const quoted = `'${file.replaceAll("'", "''")}'`;
    const described = await duckdb(`DESCRIBE SELECT * FROM read_parquet(${quoted})`);
    const types = Object.fromEntries(described.map((d) => [String(d.column_name), String(d.column_type)]));
    const select = Object.entries(types)
      .map(([name, type]) => (type.startsWith('TIMESTAMP') ? `epoch_ms("${name}") AS "${name}"` : `"${name}"`))
      .join(', ');
    const rows = await duckdb(`SELECT ${select} FROM read_parquet(${quoted})`);
    const [meta] = await duckdb(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${quoted})`);
    return { types, rows: rows.map(toNumbers), rowGroups: Number(meta?.n ?? 0) };
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** DuckDB gives BIGINT as bigint; the table's numbers are safe integers. */
function toNumbers(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
}
