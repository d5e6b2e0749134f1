import { createLocalStore, createMinioStore, type ObjectStore } from '../index.js';
import path from 'node:path';
import { redactUrl } from '../util/redact.js';
import { UsageError } from './errors.js';

/** The source flags as commander hands them over (credentials may come from the environment). */
export interface SourceFlags {
  source: string;
  endpoint?: string;
  accessKey?: string;
  secretKey?: string;
  region: string;
}

export type SourceSpec =
  /** `root` is the folder that holds the source folder; `dir` is the source folder as given. */
  | { kind: 'local'; root: string; prefix: string; dir: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint: string; accessKey: string; secretKey: string; region: string };

const S3_URL = /^s3:\/\/([^/]+)\/?(.*)$/i;
const ANY_URL = /^[a-z][a-z\d+.-]*:\/\//i;

/**
 * Where the user files are: `s3://BUCKET/PREFIX/` or a folder. A folder `data` is the prefix `data/`
 * of a local store rooted at the folder that holds it, exactly as the service sees `LOCAL_ROOT=.`
 * with `SOURCE_PREFIX=data`: the same files give the same keys (`img_path` `data/8.jpg`) whichever
 * reads them, and `--key` is relative to that root, beside the source folder. `endpointFromCli`
 * tells an `--endpoint` typed on the command line from one inherited from the environment: only
 * the first is a mistake with a folder.
 */
export function parseSource(flags: SourceFlags, endpointFromCli = false): SourceSpec {
  const source = flags.source;
  const s3 = S3_URL.exec(source);
  if (s3) return s3Source(s3[1]!, s3[2]!, flags);
  if (source === '' || ANY_URL.test(source)) {
    throw new UsageError(`--source must be a folder or s3://BUCKET/PREFIX/, got ${JSON.stringify(source)}`);
  }
  if (endpointFromCli) {
    throw new UsageError(`--endpoint is for s3:// sources; to read a bucket use --source s3://BUCKET/PREFIX/ (got the folder ${JSON.stringify(source)})`);
  }
  return localSource(source);
}

/** A folder as a prefix of the folder that holds it (see `parseSource`). */
export function localSource(dir: string): SourceSpec {
  const full = path.resolve(dir);
  const name = path.basename(full);
  return { kind: 'local', root: path.dirname(full), prefix: name === '' ? '' : `${name}/`, dir };
}

function s3Source(bucket: string, rawPrefix: string, flags: SourceFlags): SourceSpec {
  const missing: string[] = [];
  if (!flags.endpoint) missing.push('--endpoint (or MINIO_ENDPOINT)');
  if (!flags.accessKey) missing.push('--access-key (or MINIO_ACCESS_KEY)');
  if (!flags.secretKey) missing.push('--secret-key (or MINIO_SECRET_KEY)');
  if (missing.length > 0) throw new UsageError(`an s3:// source needs ${missing.join(', ')}`);
  checkEndpoint(flags.endpoint!);
  // The prefix names a folder, as the service's SOURCE_PREFIX does: `s3://b/users` means `users/`.
  const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
  return { kind: 's3', bucket, prefix, endpoint: flags.endpoint!, accessKey: flags.accessKey!, secretKey: flags.secretKey!, region: flags.region };
}

function checkEndpoint(endpoint: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`--endpoint must be an http(s) URL such as http://localhost:9000, got ${JSON.stringify(redactUrl(endpoint))}`);
  }
}

/** Opens the store a source names; no I/O until it is used. */
export function openStore(spec: SourceSpec, concurrency: number): ObjectStore {
  if (spec.kind === 'local') return createLocalStore({ root: spec.root });
  const { endpoint, accessKey, secretKey, bucket, region } = spec;
  return createMinioStore({ endpoint, accessKey, secretKey, bucket, region, maxSockets: concurrency });
}

/** The source as people wrote it, for reports: `s3://bucket/prefix/ at http://host:9000` or the folder. */
export function describeSource(spec: SourceSpec): string {
  return spec.kind === 'local' ? spec.dir : `s3://${spec.bucket}/${spec.prefix} at ${redactUrl(spec.endpoint)}`;
}
