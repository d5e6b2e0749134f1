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

/** More than this and the existing output certainly holds rows: it is not read further. */
const HEADER_BYTES_AT_MOST = 4_096;

/** Whether a CSV text has a data line after its header. */
export function holdsRows(csv: string): boolean {
  return csv.split(/\r?\n/).filter((line) => line.trim() !== '').length > 1;
}

/**
 * Refuses to write an empty table over an output that holds users (see `EmptySourceError`): the CSV
 * or the Parquet file. Reads at most a few KB of each: anything longer holds rows.
 */
async function refuseToEmpty(store: ObjectStore, plan: OutputPlan): Promise<void> {
  const outputs = [{ key: plan.csvKey, holds: (body: Buffer) => Promise.resolve(holdsRows(body.toString('utf8'))) }];
  if (plan.parquetKey !== null) outputs.push({ key: plan.parquetKey, holds: (body) => parquetHoldsRows(body) });
  for (const { key, holds } of outputs) {
    let existing: Buffer | null;
    try {
      existing = await store.get(key, { maxBytes: HEADER_BYTES_AT_MOST });
    } catch (error) {
      if (!(error instanceof ObjectRejectedError)) throw error;
      throw emptySource(key, plan.sourcePrefix);
    }
    if (existing !== null && (await holds(existing))) throw emptySource(key, plan.sourcePrefix);
  }
}

function emptySource(key: string, sourcePrefix: string): EmptySourceError {
  const where = sourcePrefix === '' ? 'the top of the store' : sourcePrefix;
  return new EmptySourceError(`the source has no users (no user files under ${where}); ${key} still holds the previous users and is kept`);
}
