import { createHash } from 'node:crypto';
import { DEFAULT_IMAGE_EXTENSIONS, DEFAULT_MAX_AGE_YEARS, DEFAULT_MAX_CSV_BYTES } from '../defaults.js';
import type { SnapshotScope } from './types.js';
import { SNAPSHOT_VERSION } from './container.js';

/** Folder of the snapshots in the store. */
const SNAPSHOT_FOLDER = 'processed_data/.snapshot/';

/** The settings a snapshot depends on, as the keeper and the key compare them. */
export function snapshotScope(o: { sourcePrefix: string; imageExtensions?: Iterable<string>; maxCsvBytes?: number; maxAgeYears?: number }): SnapshotScope {
  const extensions = [...(o.imageExtensions ?? DEFAULT_IMAGE_EXTENSIONS)].map((e) => e.replace(/^\./, '').toLowerCase());
  return {
    sourcePrefix: o.sourcePrefix,
    imageExtensions: [...new Set(extensions)].sort(),
    maxCsvBytes: o.maxCsvBytes ?? DEFAULT_MAX_CSV_BYTES,
    maxAgeYears: o.maxAgeYears ?? DEFAULT_MAX_AGE_YEARS,
  };
}

/**
 * A snapshot key of its own for each source and settings: services that read different prefixes
 * (or the same one under different rules) on one bucket never overwrite each other's snapshot,
 * while replicas of one service share theirs. E.g. `processed_data/.snapshot/source_data-3f2a9c1e07b4.v2.snap`.
 */
export function defaultSnapshotKey(o: Parameters<typeof snapshotScope>[0]): string {
  const scope = snapshotScope(o);
  const name = scope.sourcePrefix.replace(/\/$/, '').replace(/[^A-Za-z0-9._-]+/g, '_') || 'root';
  const hash = createHash('sha256').update(JSON.stringify(scope)).digest('hex').slice(0, 12);
  return `${SNAPSHOT_FOLDER}${name.slice(0, 60)}-${hash}.v${SNAPSHOT_VERSION}.snap`;
}
