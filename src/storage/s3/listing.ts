import type * as Minio from 'minio';
import { StoreUnavailableError } from '../../errors.js';
import { clipKey } from '../body.js';
import type { ListOptions, ObjectInfo, ObjectStore } from '../ObjectStore.js';
import { listInRanges, type RangePage } from './rangeListing.js';

/** Keys per listing request, the S3 maximum. */
const LIST_PAGE_KEYS = 1000;

/** Runs one call with the store's retries; its requests die with `signal`. */
export type StoreCall = <T>(what: string, fn: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

export interface S3ListerOptions {
  client: Minio.Client;
  bucket: string;
  call: StoreCall;
  /** Parts of a listing fetched at once. */
  concurrency: number;
}

/** `ObjectStore.list` over ListObjectsV2: ranges of keys listed at once (`listInRanges`), page by page. */
export function createS3Lister({ client, bucket, call, concurrency }: S3ListerOptions): ObjectStore['list'] {
  /** Set when the server ignores `start-after`: its listings then run one page after another. */
  let serialOnly = false;

  /** One page, with its own retries: a failure late in a long listing repeats one page, not the listing. */
  async function listPage(prefix: string, startAfter: string, token: string, signal: AbortSignal): Promise<RangePage<ObjectInfo>> {
    const what = `list ${clipKey(prefix)}`;
    const page = await call(what, () => client.listObjectsV2Query(bucket, prefix, token, '', LIST_PAGE_KEYS, startAfter), signal);
    if (page.isTruncated && !page.nextContinuationToken) {
      throw new StoreUnavailableError(`s3 ${bucket}: cannot ${what}: a truncated page without a continuation token`);
    }
    const items: ObjectInfo[] = [];
    for (const item of page.objects) {
      if (item.name !== undefined) items.push({ key: item.name, etag: item.etag, size: item.size, lastModified: item.lastModified });
    }
    return { items, isTruncated: page.isTruncated, nextContinuationToken: page.nextContinuationToken };
  }

  return async function list(prefix: string, options: ListOptions = {}): Promise<ObjectInfo[]> {
    const { signal, onProgress, onObjects } = options;
    const out: ObjectInfo[] = [];
    let reported = -1;
    await listInRanges<ObjectInfo>({
      prefix,
      concurrency: serialOnly ? 1 : concurrency,
      keyOf: (object) => object.key,
      fetchPage: (startAfter, token, partSignal) => listPage(prefix, startAfter, token, partSignal),
      onItems: (objects) => {
        for (const object of objects) out.push(object);
        // Handed on page by page: the caller sorts each page while the next ones are on their way.
        onObjects?.(objects);
        onProgress?.((reported = out.length));
      },
      onStartAfterIgnored: () => (serialOnly = true),
      signal,
    });
    if (reported !== out.length) onProgress?.(out.length);
    return out;
  };
}
