import path from 'node:path';
import { IntegrityError, ObjectRejectedError } from '../../errors.js';
import { BodyCollector, quoteKey } from '../body.js';
import type { ReadResult } from './reader.js';
import type { GetOptions } from '../ObjectStore.js';

/**
 * The local store's answer to `get(key)` from what the reading thread found (`serveReads`): the
 * bytes, `null` when there is no such object, or the error that says why it cannot be served. A
 * file whose real path leaves the real root (a link out of the store) or that is not a regular file
 * (FIFO, device, socket) is refused with `ObjectRejectedError`, and was never opened. At most the
 * size `stat` reported plus one byte was read, so a file that produces more than it claims
 * (`/proc`-like) or grows while being read is caught instead of read without end. File-system
 * failures come back as errors with their `code`, for the store to report.
 */
export function answerOf(result: ReadResult, key: string, options: GetOptions): Buffer | null {
  const quoted = quoteKey(key);
  switch (result.kind) {
    case 'body': {
      const body = new BodyCollector(key, options);
      body.add(result.body);
      return body.finish();
    }
    case 'none':
      return null;
    case 'loop':
      throw new ObjectRejectedError(`${quoted}: a link that never resolves to a file`);
    case 'outside':
      throw new ObjectRejectedError(`${quoted}: a link to a file outside the store root`);
    case 'special':
      throw new ObjectRejectedError(`${quoted}: not a regular file (${result.type})`);
    case 'zero-size-content':
      throw new ObjectRejectedError(`${quoted}: has content but reports size 0, so it is not a regular file`);
    case 'size':
      new BodyCollector(key, options).announce(result.size);
      throw new IntegrityError(`${quoted}: ${result.size} bytes is out of bounds`); // announce threw already
    case 'replaced':
      throw new IntegrityError(`${quoted}: replaced while being opened`);
    case 'shrank':
      throw new IntegrityError(`${quoted}: shrank while being read`);
    case 'grew':
      throw new IntegrityError(`${quoted}: grew while being read`);
    case 'failed':
      throw Object.assign(new Error(result.message), { code: result.code });
    case 'cancelled':
      throw new Error('the read was cancelled');
  }
}

/** Whether the real path `real` is `realRoot` or below it. */
export function isInside(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
}
