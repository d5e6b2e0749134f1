import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Infix of the temp files of writes in progress. Listings and change events of the local store
 * skip names that hold it, so half-written files are never read as data.
 */
export const TEMP_MARKER = '.udt-tmp-';

/**
 * Writes `body` to a temp file next to `file`, flushes it and renames it over `file`: readers see
 * the old content or the new, and a failure part-way leaves the old file (or none) and no temp file.
 * A target that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written
 * to directly: renaming over it would replace the device with a file (`intoSpecialFiles: false`
 * replaces it instead, as a store replaces an object). The folder must exist.
 * Errors are the file system's, unchanged; callers say what they were writing.
 */
export async function writeFileAtomic(file: string, body: Buffer | string, { intoSpecialFiles = true } = {}): Promise<void> {
  const target = path.resolve(file);
  const existing = intoSpecialFiles ? await stat(target).catch(() => undefined) : undefined;
  if (existing && !existing.isFile()) {
    await writeFile(target, body);
    return;
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
