import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { RuntimeFailure } from './errors.js';

/**
 * Writes `body` to a temp file next to `file`, flushes it and renames it over `file`: readers see
 * the old content or the new, and a failure part-way leaves the old file (or none) and no temp file.
 * A target that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written
 * to directly: renaming over it would replace the device with a file.
 */
export async function writeFileAtomic(file: string, body: Buffer): Promise<void> {
  const target = path.resolve(file);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile()) {
    await writeFile(target, body).catch((error: unknown) => {
      throw new RuntimeFailure(`cannot write ${file}: ${describeError(error)}`, { cause: error });
    });
    return;
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
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
    throw new RuntimeFailure(`cannot write ${file}: ${describeError(error)}`, { cause: error });
  }
}
