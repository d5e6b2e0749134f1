import { EmptySourceError, InvalidInputError, ObjectRejectedError, PartialExportError, describeError } from './errors.js';
import { csvBytes } from './format/csv.js';
import { encodeParquet, parquetHoldsRows, PARQUET_MEDIA_TYPE } from './format/parquet.js';
import { DEFAULT_COLUMNS, type UserRow } from './model.js';
import type { ObjectStore } from './storage/ObjectStore.js';
import { asBuffer } from './util/buffers.js';
import { Pacer } from './util/pacer.js';

/** What `exportOutput` wrote. */
export interface ExportWritten {
  /** The CSV's key. */
  key: string;
  users: number;
  /** Size of the CSV. */
  bytes: number;
  /** The Parquet file written beside it, or `null` when none was asked for. */
  parquet: { key: string; bytes: number } | null;
}

export interface OutputPlan {
  csvKey: string;
  parquetKey: string | null;
  escapeFormulas: boolean;
  allowEmpty: boolean;
  sourcePrefix: string;
  /** Once aborted, nothing more is built or written. */
  signal?: AbortSignal;
}

/**
 * Writes the table as the output CSV and, when asked, as Parquet: both bodies are built from the
 * same rows before either is written, so they hold the same users in the same order. Each object
 * is replaced whole or not at all. The CSV goes first; if the Parquet write then fails, the CSV is
 * new, the Parquet file still the previous export, and `PartialExportError` says so.
 */
export async function writeOutputs(store: ObjectStore, rows: readonly UserRow[], plan: OutputPlan): Promise<ExportWritten> {
  const { csvKey, parquetKey, signal } = plan;
  if (parquetKey === csvKey) throw new InvalidInputError(`the Parquet key must differ from the CSV key ${csvKey}: each write would replace the other`);
  if (rows.length === 0 && !plan.allowEmpty) await refuseToEmpty(store, plan);
  // In slices: at a million users the bytes take seconds to build, and reads must not wait for them.
  const csv = await new Pacer(signal).drive(csvBytes(rows, DEFAULT_COLUMNS, { escapeFormulas: plan.escapeFormulas }));
  const parquet = parquetKey === null ? null : { key: parquetKey, body: asBuffer(await encodeParquet(rows, DEFAULT_COLUMNS, { signal })) };
  // Past the caller's deadline it was told nothing is written: keep it so.
  signal?.throwIfAborted();
  await store.put(csvKey, csv, 'text/csv');
  if (parquet) {
    await store.put(parquet.key, parquet.body, PARQUET_MEDIA_TYPE).catch((error: unknown) => {
      throw new PartialExportError(
        `${csvKey} holds the new export, but ${parquet.key} could not be written (${describeError(error)}) and still holds the previous one; the next export writes both`,
        { cause: error },
      );
    });
  }
  return { key: csvKey, users: rows.length, bytes: csv.length, parquet: parquet && { key: parquet.key, bytes: parquet.body.length } };
}

/** More than this and an existing output certainly holds rows: it is not read further. */
export const EMPTY_OUTPUT_BYTES_AT_MOST = 4_096;

/** Whether a CSV text has a data line after its header. */
export function holdsRows(csv: string): boolean {
  return csv.split(/\r?\n/).filter((line) => line.trim() !== '').length > 1;
}

/** Whether an output file's bytes (at most `EMPTY_OUTPUT_BYTES_AT_MOST` of them) hold users. */
export function outputHoldsRows(existing: Buffer, format: 'csv' | 'parquet'): Promise<boolean> {
  return format === 'csv' ? Promise.resolve(holdsRows(existing.toString('utf8'))) : parquetHoldsRows(existing);
}

/** Whether the output at `key` holds users. Reads at most a few KB: anything longer holds rows. */
export async function storedOutputHoldsRows(store: ObjectStore, key: string, format: 'csv' | 'parquet'): Promise<boolean> {
  let existing: Buffer | null;
  try {
    existing = await store.get(key, { maxBytes: EMPTY_OUTPUT_BYTES_AT_MOST });
  } catch (error) {
    if (error instanceof ObjectRejectedError) return true;
    throw error;
  }
  return existing !== null && (await outputHoldsRows(existing, format));
}

/** Refuses to write an empty table over an output that holds users (see `EmptySourceError`): the CSV or the Parquet file. */
async function refuseToEmpty(store: ObjectStore, plan: OutputPlan): Promise<void> {
  const outputs: [string, 'csv' | 'parquet'][] = [[plan.csvKey, 'csv']];
  if (plan.parquetKey !== null) outputs.push([plan.parquetKey, 'parquet']);
  for (const [key, format] of outputs) {
    if (await storedOutputHoldsRows(store, key, format)) throw emptySource(key, plan.sourcePrefix);
  }
}

function emptySource(key: string, sourcePrefix: string): EmptySourceError {
  const where = sourcePrefix === '' ? 'the top of the store' : sourcePrefix;
  return new EmptySourceError(`the source has no users (no user files under ${where}); ${key} still holds the previous users and is kept`);
}
