import { createHmac, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { SnapshotError } from './errors.js';

/**
 * The snapshot as bytes: a first line naming the format, its version and a signature, a header
 * line (JSON), then the payload, gzip-compressed. The first line is all a reader trusts before
 * checking; the signature covers every byte after it; the header states how large the payload is
 * once inflated, so a reader never inflates more than that (a gzip bomb is refused after a few
 * milliseconds and a bounded amount of memory).
 */
export const SNAPSHOT_FORMAT = 'user-data-transformer/cache';
export const SNAPSHOT_VERSION = 2;

// Compression runs on the thread pool: a large snapshot must not stall the event loop for it.
const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback) as (buffer: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

/** Longest first line and header line read before anything is checked. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Written in place of a signature by a writer without a secret. */
const UNSIGNED = '-';

export interface Head {
  /** ms since the epoch: when the cache matched the store. */
  createdAtMs: number;
  users: number;
  /** Length of the payload once inflated, in bytes. */
  payloadBytes: number;
  [field: string]: unknown;
}

/** The whole object: signed with `secret` when there is one. */
export async function seal(head: Head, payload: string, secret: string | null): Promise<Buffer> {
  const body = Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`), await gzip(payload)]);
  const signature = secret === null ? UNSIGNED : sign(body, secret);
  return Buffer.concat([Buffer.from(`${SNAPSHOT_FORMAT} ${SNAPSHOT_VERSION} ${signature}\n`), body]);
}

/**
 * The header and the compressed payload, after the checks that need no inflating: the format and
 * version, and with a `secret` the signature (an unsigned or wrongly signed snapshot is refused).
 */
export function open(object: Buffer, secret: string | null): { head: Head; compressed: Buffer } {
  const first = object.subarray(0, MAX_HEAD_BYTES).indexOf(0x0a);
  if (first < 0) throw new SnapshotError('not a snapshot of this format (no first line)');
  const [format, version, signature] = object.subarray(0, first).toString('latin1').split(' ');
  if (format !== SNAPSHOT_FORMAT || version !== String(SNAPSHOT_VERSION)) {
    throw new SnapshotError(`format ${String(format)} version ${String(version)}; this build reads ${SNAPSHOT_FORMAT} version ${SNAPSHOT_VERSION}`);
  }
  const body = object.subarray(first + 1);
  if (secret !== null) verify(body, signature ?? UNSIGNED, secret);
  const second = body.subarray(0, MAX_HEAD_BYTES).indexOf(0x0a);
  if (second < 0) throw new SnapshotError('the header is missing or too long');
  let head: Head;
  try {
    head = JSON.parse(body.subarray(0, second).toString('utf8')) as Head;
  } catch {
    throw new SnapshotError('the header is not valid JSON');
  }
  if (!isCount(head?.users) || !isCount(head.payloadBytes) || !Number.isFinite(head.createdAtMs)) throw new SnapshotError('the header lacks its counts');
  return { head, compressed: body.subarray(second + 1) };
}

/** The payload, inflated to at most `limitBytes`, which must be exactly what the header states. */
export async function inflate(compressed: Buffer, head: Head, limitBytes: number): Promise<string> {
  if (head.payloadBytes > limitBytes) {
    throw new SnapshotError(`the header states a ${head.payloadBytes}-byte payload for ${head.users} users; at most ${limitBytes} are accepted`);
  }
  let payload: Buffer;
  try {
    payload = await gunzip(compressed, { maxOutputLength: head.payloadBytes + 1 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new SnapshotError(`the payload inflates past the ${head.payloadBytes} bytes its header states`);
    throw new SnapshotError(`the payload is not a complete gzip stream (${(error as Error).message})`);
  }
  if (payload.length !== head.payloadBytes) throw new SnapshotError(`the payload is ${payload.length} bytes; its header states ${head.payloadBytes}`);
  return payload.toString('utf8');
}

function sign(body: Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function verify(body: Buffer, signature: string, secret: string): void {
  if (signature === UNSIGNED) throw new SnapshotError('it is not signed, and SNAPSHOT_SECRET is set');
  const expected = Buffer.from(sign(body, secret), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(signature) ? signature : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SnapshotError('its signature does not match SNAPSHOT_SECRET');
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
