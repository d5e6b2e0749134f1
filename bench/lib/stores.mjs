// One description of a store, passed as JSON to child processes, so the harness, the memory
// probe and the service all open exactly the same backend with the same settings.
import { createLocalStore, createMinioStore } from '../../dist/index.js';

export const S3_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' };
export const SOURCE_PREFIX = 'source_data/';
export const OUTPUT_KEY = 'processed_data/output.csv';
/** The transformer's default download concurrency; the limit loop uses the same. */
export const CONCURRENCY = 16;
/** Long enough for a cold sync of a million users on a busy machine: the bench measures, it does not cancel. */
export const SYNC_TIMEOUT_MS = 3_600_000;

export function localSpec(root) {
  return { kind: 'local', root };
}

/** `listConcurrency` is optional: the store's default unless given. */
export function s3Spec(endpoint, bucket, listConcurrency) {
  return { kind: 's3', endpoint, bucket, ...(listConcurrency !== undefined && { listConcurrency }) };
}

export function openStore(spec) {
  if (spec.kind === 'local') return createLocalStore({ root: spec.root });
  if (spec.kind === 's3') {
    const { accessKey, secretKey, region } = S3_CREDENTIALS;
    // One socket per concurrent download, as the store's own documentation advises.
    const { endpoint, bucket, listConcurrency } = spec;
    return createMinioStore({ endpoint, bucket, accessKey, secretKey, region, maxSockets: CONCURRENCY, listConcurrency });
  }
  throw new Error(`unknown store kind ${spec.kind}`);
}
