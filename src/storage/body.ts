import { createHash, type Hash } from 'node:crypto';
import { IntegrityError, ObjectRejectedError } from '../errors.js';
import type { GetOptions } from './ObjectStore.js';

/** Longest key quoted in an error message; the rest is elided so messages stay short. */
const MAX_KEY_IN_MESSAGE_CHARS = 80;
/** A single-part S3 etag: the body's MD5 in hex (multipart etags end in `-<parts>`). */
const PLAIN_MD5 = /^[0-9a-f]{32}$/i;

/** The MD5 an etag stands for, or `null` when it is not a plain MD5 (multipart, local size-mtime). */
export function plainMd5(etag: string | undefined): string | null {
  const bare = etag?.replace(/^"|"$/g, '');
  return bare !== undefined && PLAIN_MD5.test(bare) ? bare.toLowerCase() : null;
}

/** A key cut to a length that keeps error messages short. */
export function clipKey(key: string): string {
  return key.length > MAX_KEY_IN_MESSAGE_CHARS ? `${key.slice(0, MAX_KEY_IN_MESSAGE_CHARS)}…` : key;
}

/** A key as error messages quote it: clipped and JSON-quoted. */
export function quoteKey(key: string): string {
  return JSON.stringify(clipKey(key));
}

/**
 * Collects one object's body while enforcing the caller's `GetOptions`: refuses it as soon as it
 * passes `maxBytes`, and on `finish` checks its length against `expectedSize` and its MD5 against
 * a plain-MD5 `expectedEtag`. Messages name the key and sizes, never content.
 */
export class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private readonly md5: string | null;
  private readonly hash: Hash | null;
  private total = 0;

  constructor(
    private readonly key: string,
    private readonly options: GetOptions,
  ) {
    this.md5 = plainMd5(options.expectedEtag);
    this.hash = this.md5 ? createHash('md5') : null;
  }

  /** Checks a size announced before any byte is read (Content-Length, `stat`). */
  announce(size: number): void {
    const { maxBytes, expectedSize } = this.options;
    if (maxBytes !== undefined && size > maxBytes) throw this.tooLarge(`${size} bytes, `);
    if (expectedSize !== undefined && size !== expectedSize) throw this.wrongSize(size);
  }

  add(chunk: Buffer): void {
    this.total += chunk.length;
    const { maxBytes } = this.options;
    if (maxBytes !== undefined && this.total > maxBytes) throw this.tooLarge('');
    this.chunks.push(chunk);
    this.hash?.update(chunk);
  }

  /** The whole body, once its length and checksum are known to be right. */
  finish(): Buffer {
    const { expectedSize } = this.options;
    if (expectedSize !== undefined && this.total !== expectedSize) throw this.wrongSize(this.total);
    const actual = this.hash?.digest('hex');
    if (this.md5 && actual !== this.md5) {
      throw new IntegrityError(`${quoteKey(this.key)}: the body's MD5 ${actual} differs from the listed etag ${this.md5}`);
    }
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.total);
  }

  private tooLarge(size: string): ObjectRejectedError {
    return new ObjectRejectedError(`${quoteKey(this.key)}: ${size}more than the ${this.options.maxBytes}-byte limit`);
  }

  private wrongSize(size: number): IntegrityError {
    return new IntegrityError(`${quoteKey(this.key)}: ${size} bytes arrived but the listing said ${this.options.expectedSize}`);
  }
}
