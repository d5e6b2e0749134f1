import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import { RuntimeFailure } from './errors.js';

/**
 * Writes `body` to a temp file next to `file`, flushes it and renames it over `file`: readers see
 * the old content or the new, and a failure part-way leaves the old file (or none) and no temp file.
 */
export async function writeFileAtomic(file: string, body: Buffer): Promise<void> {
  const target = path.resolve(file);
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
