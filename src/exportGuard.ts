import { EmptySourceError, ObjectRejectedError } from './errors.js';
import type { ObjectStore } from './storage/ObjectStore.js';

/** More than this and the existing output certainly holds rows: it is not read further. */
const HEADER_BYTES_AT_MOST = 4_096;

/** Whether a CSV text has a data line after its header. */
export function holdsRows(csv: string): boolean {
  return csv.split(/\r?\n/).filter((line) => line.trim() !== '').length > 1;
}

/**
 * Refuses to write an empty table over an output that holds users (see `EmptySourceError`). Reads
 * at most a few KB of the existing output: anything longer holds rows.
 */
export async function refuseToEmpty(store: ObjectStore, key: string, sourcePrefix: string): Promise<void> {
  let existing: Buffer | null;
  try {
    existing = await store.get(key, { maxBytes: HEADER_BYTES_AT_MOST });
  } catch (error) {
    if (!(error instanceof ObjectRejectedError)) throw error;
    throw emptySource(key, sourcePrefix);
  }
  if (existing !== null && holdsRows(existing.toString('utf8'))) throw emptySource(key, sourcePrefix);
}

function emptySource(key: string, sourcePrefix: string): EmptySourceError {
  const where = sourcePrefix === '' ? 'the top of the store' : sourcePrefix;
  return new EmptySourceError(`the source has no users (no user files under ${where}); ${key} still holds the previous users and is kept`);
}
