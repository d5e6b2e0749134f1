import type { SyncFailure } from '../model.js';
import type { ObjectInfo } from '../storage/ObjectStore.js';
import type { ImageRef } from './entries.js';
import { Pacer } from './pacer.js';

export interface ClassifiedListing {
  /** The CSV of each user id. */
  csvs: Map<string, ObjectInfo>;
  /** The newest image of each user id, whether or not that user has a CSV. */
  images: Map<string, ObjectInfo>;
  /** Every image of the user ids that have more than one, newest first. */
  multiImages: Map<string, ImageRef[]>;
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
 * Gives the event loop back now and then (see `Pacer`): a listing can hold a million objects.
 */
export async function classifyListing(
  objects: readonly ObjectInfo[],
  prefix: string,
  imageExtensions: ReadonlySet<string>,
  pacer = new Pacer(),
): Promise<ClassifiedListing> {
  const csvs = new Map<string, ObjectInfo>();
  const images = new Map<string, ObjectInfo>();
  const multiImages = new Map<string, ImageRef[]>();
  const failures: SyncFailure[] = [];
  let ignored = 0;
  for (const object of objects) {
    if (pacer.due()) await pacer.pause();
    const key = object.key;
    const dot = key.lastIndexOf('.');
    // Only names directly under the prefix, with an extension.
    if (dot < prefix.length || !key.startsWith(prefix) || key.indexOf('/', prefix.length) >= 0) {
      ignored++;
    } else if (isCsvExtension(key, dot)) {
      addCsv(csvs, failures, key.slice(prefix.length, dot), object);
    } else if (imageExtensions.has(key.slice(dot + 1).toLowerCase())) {
      const userId = key.slice(prefix.length, dot);
      const existing = images.get(userId);
      if (existing) addImage(multiImages, userId, existing, object);
      if (!existing || isNewer(object, existing)) images.set(userId, object);
    } else {
      ignored++;
    }
  }
  for (const refs of multiImages.values()) refs.sort(newestFirst);
  return { csvs, images, multiImages, ignored, failures };
}

function addCsv(csvs: Map<string, ObjectInfo>, failures: SyncFailure[], userId: string, object: ObjectInfo): void {
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
}

/**
 * Whether the key ends in `.csv` in any case, without cutting and lower-casing its extension: this
 * runs once per listed object. `| 0x20` lower-cases an ASCII letter, and only `C`/`c`, `S`/`s` and
 * `V`/`v` map to the letters compared.
 */
function isCsvExtension(key: string, dot: number): boolean {
  return (
    key.length - dot === 4 &&
    (key.charCodeAt(dot + 1) | 0x20) === 0x63 &&
    (key.charCodeAt(dot + 2) | 0x20) === 0x73 &&
    (key.charCodeAt(dot + 3) | 0x20) === 0x76
  );
}

/**
 * What a key is under the prefix: a user's CSV, a user's image, or something else (other
 * extensions, keys in sub-folders). The user id is the file name without its extension.
 */
export function classifyKey(key: string, prefix: string, imageExtensions: ReadonlySet<string>): { kind: 'csv' | 'image' | 'other'; userId: string } {
  const name = key.slice(prefix.length);
  const dot = name.lastIndexOf('.');
  if (!key.startsWith(prefix) || name.includes('/') || dot < 0) return { kind: 'other', userId: '' };
  const userId = name.slice(0, dot);
  const extension = name.slice(dot + 1).toLowerCase();
  return { kind: extension === 'csv' ? 'csv' : imageExtensions.has(extension) ? 'image' : 'other', userId };
}

function addImage(multi: Map<string, ImageRef[]>, userId: string, first: ObjectInfo, next: ObjectInfo): void {
  let refs = multi.get(userId);
  if (!refs) multi.set(userId, (refs = [toRef(first)]));
  refs.push(toRef(next));
}

export function toRef(object: ObjectInfo): ImageRef {
  return { key: object.key, modifiedMs: object.lastModified.getTime() };
}

/** Newest first; equal times: the greater key first, as the listing's choice. */
export function newestFirst(a: ImageRef, b: ImageRef): number {
  return b.modifiedMs - a.modifiedMs || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
}

function isNewer(a: ObjectInfo, b: ObjectInfo): boolean {
  const diff = a.lastModified.getTime() - b.lastModified.getTime();
  return diff !== 0 ? diff > 0 : a.key > b.key;
}
