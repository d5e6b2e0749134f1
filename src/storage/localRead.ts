import { constants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError, ObjectRejectedError } from '../errors.js';
import { BodyCollector, quoteKey } from './body.js';
import type { GetOptions } from './ObjectStore.js';

/**
 * Never blocks on open (a FIFO without a writer would wait forever) and never follows a link that
 * appeared after the path was resolved. Absent on platforms without them.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
/** Bytes per read call, so an abort is noticed between reads of a large file. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The bytes of `file` (the path of `key` under `root`), or `null` when there is none. Refuses, with
 * `ObjectRejectedError` and without opening it, a file whose real path leaves the real root (a link
 * out of the store) or that is not a regular file (FIFO, device, socket). Reads at most the size
 * `stat` reported plus one byte, so a file that produces more than it claims (`/proc`-like) or grows
 * while being read is caught instead of read without end.
 */
export async function readInsideRoot(root: string, file: string, key: string, options: GetOptions): Promise<Buffer | null> {
  const real = await realpathOrNull(file, key);
  if (real === null) return null;
  const realRoot = await realpath(root);
  if (!isInside(realRoot, real)) {
    throw new ObjectRejectedError(`${quoteKey(key)}: a link to a file outside the store root`);
  }
  const info = await stat(real);
  if (info.isDirectory()) return null; // a folder is not an object, as in S3
  if (!info.isFile()) throw new ObjectRejectedError(`${quoteKey(key)}: not a regular file (${fileType(info)})`);
  const body = new BodyCollector(key, options);
  body.announce(info.size);
  options.signal?.throwIfAborted();
  const handle = await open(real, OPEN_FLAGS);
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw new ObjectRejectedError(`${quoteKey(key)}: not a regular file (${fileType(opened)})`);
    if (opened.ino !== info.ino || opened.dev !== info.dev) throw new IntegrityError(`${quoteKey(key)}: replaced while being opened`);
    body.announce(opened.size);
    body.add(await readExactly(handle, key, opened.size, options.signal));
    return body.finish();
  } finally {
    await handle.close();
  }
}

/** Reads `size` bytes, then checks that the file has no more. */
async function readExactly(handle: FileHandle, key: string, size: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    signal?.throwIfAborted();
    const { bytesRead } = await handle.read(buffer, filled, Math.min(READ_CHUNK_BYTES, size - filled), filled);
    if (bytesRead === 0) throw new IntegrityError(`${quoteKey(key)}: shrank while being read`);
    filled += bytesRead;
  }
  const { bytesRead: extra } = await handle.read(Buffer.alloc(1), 0, 1, size);
  if (extra > 0) {
    throw size === 0
      ? new ObjectRejectedError(`${quoteKey(key)}: has content but reports size 0, so it is not a regular file`)
      : new IntegrityError(`${quoteKey(key)}: grew while being read`);
  }
  return buffer;
}

/** Whether the real path `real` is `realRoot` or below it. */
export function isInside(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
}

async function realpathOrNull(file: string, key: string): Promise<string | null> {
  try {
    return await realpath(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // missing, or a link to nothing
    if (code === 'ELOOP') throw new ObjectRejectedError(`${quoteKey(key)}: a link that never resolves to a file`);
    throw error;
  }
}

function fileType(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'a special file';
}
