import type { SyncFailure } from '../model.js';
import type { ObjectInfo } from '../storage/ObjectStore.js';
import type { ImageRef } from '../cache/entries.js';
import { classifyKey, userIdOf, userIdProblem, winsOver } from '../cache/fileRules.js';
import type { Pacer } from '../util/pacer.js';

/**
 * The CSV of each user id, in listing order. Kept as two arrays: a million users would otherwise
 * cost a million insertions into a growing map on every sync. A map by user id is made only when a
 * listing could hold two CSVs of one user (an extension other than `.csv` in lower case), or when
 * asked.
 */
export class UserCsvs {
  readonly ids: string[] = [];
  readonly objects: ObjectInfo[] = [];
  #index: Map<string, number> | undefined;

  get size(): number {
    return this.ids.length;
  }

  has(userId: string): boolean {
    return this.#indexed().has(userId);
  }

  /** Adds a user's CSV; with one already there, keeps the smaller key and reports the other. */
  add(userId: string, object: ObjectInfo, lowerCase: boolean, failures: SyncFailure[]): void {
    // Two CSVs of one user differ in their extension's case: only such a key can make a duplicate.
    const index = lowerCase ? this.#index : this.#indexed();
    const at = index?.get(userId);
    if (at === undefined) {
      index?.set(userId, this.ids.length);
      this.ids.push(userId);
      this.objects.push(object);
      return;
    }
    const existing = this.objects[at]!;
    const [kept, dropped] = winsOver(object.key, existing.key) ? [object, existing] : [existing, object];
    this.objects[at] = kept;
    failures.push({ key: dropped.key, reason: `user id ${userId} is already provided by ${kept.key}` });
  }

  #indexed(): Map<string, number> {
    this.#index ??= new Map(this.ids.map((id, i) => [id, i]));
    return this.#index;
  }
}

export interface ClassifiedListing {
  csvs: UserCsvs;
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
 * Sorts a listing into user CSVs and images, batch by batch as the listing arrives. Only objects
 * directly under the prefix count; the user id is the file name without its extension, and
 * extensions match case-insensitively. When one user has several images the most recently modified
 * wins (ties: the greater key); when one has several CSVs (`7.csv`, `7.CSV`) the smallest key is
 * used. Neither depends on the listing's order.
 */
export class ListingClassifier {
  readonly #csvs = new UserCsvs();
  readonly #images = new Map<string, ObjectInfo>();
  readonly #multiImages = new Map<string, ImageRef[]>();
  readonly #failures: SyncFailure[] = [];
  #ignored = 0;
  /** Objects sorted so far. */
  count = 0;

  constructor(
    private readonly prefix: string,
    private readonly imageExtensions: ReadonlySet<string>,
  ) {}

  add(objects: readonly ObjectInfo[]): void {
    for (const object of objects) this.#addOne(object);
  }

  /** `add` for a whole listing at once, giving the event loop back now and then (see `Pacer`). */
  async addPaced(objects: readonly ObjectInfo[], pacer: Pacer): Promise<void> {
    for (const object of objects) {
      if (pacer.due()) await pacer.pause();
      this.#addOne(object);
    }
  }

  finish(): ClassifiedListing {
    for (const refs of this.#multiImages.values()) refs.sort(newestFirst);
    return { csvs: this.#csvs, images: this.#images, multiImages: this.#multiImages, ignored: this.#ignored, failures: this.#failures };
  }

  #addOne(object: ObjectInfo): void {
    const key = object.key;
    this.count++;
    const kind = classifyKey(key, this.prefix, this.imageExtensions);
    if (kind === 'other') {
      this.#ignored++;
      return;
    }
    const userId = userIdOf(key, this.prefix);
    const problem = userIdProblem(userId);
    if (kind === 'csv') {
      if (problem) this.#failures.push({ key, reason: problem });
      else this.#csvs.add(userId, object, key.endsWith('.csv'), this.#failures);
      return;
    }
    if (problem) {
      this.#ignored++; // an image no user id can have
      return;
    }
    const existing = this.#images.get(userId);
    if (existing) addImage(this.#multiImages, userId, existing, object);
    if (!existing || isNewer(object, existing)) this.#images.set(userId, object);
  }
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
