import type { ObjectInfo } from '../storage/ObjectStore.js';
import type { SyncFailure } from '../model.js';

export interface ClassifiedListing {
  /** The CSV of each user id. */
  csvs: Map<string, ObjectInfo>;
  /** The newest image of each user id, whether or not that user has a CSV. */
  images: Map<string, ObjectInfo>;
  /** Objects that are neither: other extensions, or keys in sub-folders of the prefix. */
  ignored: number;
  /** CSVs that cannot be used because of their name alone. */
  failures: SyncFailure[];
}

/**
 * Sorts a listing into user CSVs and images. Only objects directly under the prefix count; the
 * user id is the file name without its extension, and extensions match case-insensitively.
 * When one user has several images the most recently modified wins (ties: the greater key); when
 * one has several CSVs (`7.csv`, `7.CSV`) the smallest key is used. Neither depends on the listing's order.
 */
export function classifyListing(objects: readonly ObjectInfo[], prefix: string, imageExtensions: ReadonlySet<string>): ClassifiedListing {
  const csvs = new Map<string, ObjectInfo>();
  const images = new Map<string, ObjectInfo>();
  const failures: SyncFailure[] = [];
  let ignored = 0;
  for (const object of objects) {
    const name = object.key.slice(prefix.length);
    const dot = name.lastIndexOf('.');
    if (!object.key.startsWith(prefix) || name.includes('/') || dot < 0) {
      ignored++;
      continue;
    }
    const userId = name.slice(0, dot);
    const extension = name.slice(dot + 1).toLowerCase();
    if (extension === 'csv') {
      const existing = csvs.get(userId);
      if (userId === '') {
        failures.push({ key: object.key, reason: 'the file name has no user id before .csv' });
      } else if (existing) {
        // The smaller key wins whatever order the listing came in.
        const [kept, dropped] = object.key < existing.key ? [object, existing] : [existing, object];
        csvs.set(userId, kept);
        failures.push({ key: dropped.key, reason: `user id ${userId} is already provided by ${kept.key}` });
      } else {
        csvs.set(userId, object);
      }
    } else if (imageExtensions.has(extension)) {
      const existing = images.get(userId);
      if (!existing || isNewer(object, existing)) images.set(userId, object);
    } else {
      ignored++;
    }
  }
  return { csvs, images, ignored, failures };
}

function isNewer(a: ObjectInfo, b: ObjectInfo): boolean {
  const diff = a.lastModified.getTime() - b.lastModified.getTime();
  return diff !== 0 ? diff > 0 : a.key > b.key;
}
