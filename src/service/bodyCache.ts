import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export type ContentCoding = 'identity' | 'gzip' | 'br';

/** Smaller bodies go out as they are, as the compression middleware does with every other answer. */
export const COMPRESS_MIN_BYTES = 1024;
/** Built once per table version and then served many times: a little more effort than per request pays. */
const BROTLI_QUALITY = 5;

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

export interface CachedBody {
  etag: string;
  body: Buffer;
  coding: ContentCoding;
}

/**
 * Answers that stay the same bytes until the table changes (the unfiltered list, per format) are
 * built once per table version (by the caller, in slices), and compressed once per coding, off the
 * event loop. A large
 * `GET /data` then costs a buffer write, and memory stays flat across requests: bodies of an older
 * version are dropped at the first request that sees a newer one.
 */
export class VersionedBodies {
  /** Distinguishes table versions of different processes behind one load balancer. */
  readonly #instance = randomBytes(4).toString('hex');
  #version = -1;
  #bodies = new Map<string, Promise<Buffer>>();
  #compressed = new Map<string, Promise<Buffer>>();

  /**
   * The body of `variant` (e.g. a format) at table `version`, built by `build` when missing, in
   * `coding` unless the body is too small to be worth compressing. Each variant and coding has its
   * own strong ETag.
   */
  async get(version: number, variant: string, coding: ContentCoding, build: () => Promise<Buffer>): Promise<CachedBody> {
    if (version !== this.#version) {
      // New maps, not cleared ones: a request of the older version still building its body must
      // not put it (or its compressed form) where the newer version's requests look.
      this.#bodies = new Map();
      this.#compressed = new Map();
      this.#version = version;
    }
    const bodies = this.#bodies;
    const compressed = this.#compressed;
    // Requests that come while the body is built wait for that one build.
    let building = bodies.get(variant);
    if (building === undefined) {
      building = build();
      bodies.set(variant, building);
      building.catch(() => bodies.get(variant) === building && bodies.delete(variant));
    }
    const plain = await building;
    if (coding === 'identity' || plain.length < COMPRESS_MIN_BYTES) {
      return { etag: this.#etag(version, variant, 'identity'), body: plain, coding: 'identity' };
    }
    const key = `${variant}/${coding}`;
    let pending = compressed.get(key);
    if (pending === undefined) {
      pending = compress(plain, coding);
      compressed.set(key, pending);
      // A failed run must not stay cached; the request that hit it gets the error.
      pending.catch(() => compressed.get(key) === pending && compressed.delete(key));
    }
    return { etag: this.#etag(version, variant, coding), body: await pending, coding };
  }

  /** JSON in identity keeps the tag it always had, `"<instance>-<version>"`. */
  #etag(version: number, variant: string, coding: ContentCoding): string {
    const parts = [this.#instance, String(version)];
    if (variant !== 'json') parts.push(variant);
    if (coding !== 'identity') parts.push(coding);
    return `"${parts.join('-')}"`;
  }
}

function compress(body: Buffer, coding: 'gzip' | 'br'): Promise<Buffer> {
  if (coding === 'gzip') return gzip(body);
  return brotli(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
}
