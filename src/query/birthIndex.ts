import { birthKeyRange, yearsBetweenKeys } from './age.js';
import { positionSteps } from './positions.js';
import { ITEMS_PER_STEP, runToEnd, type Steps } from '../util/steps.js';

/**
 * Table positions sorted by birth date. An age filter is a range of birth dates, so it becomes two
 * binary searches; and since everyone in a run of equal ages shares one age, statistics need one
 * step per distinct age, not per user.
 */
export interface BirthIndex {
  /** Table positions in ascending birth-key order. */
  readonly order: Uint32Array;
  /** Birth keys in that order. */
  readonly keys: Float64Array;
  /** `imagesBefore[i]`: users with an image among the first `i` in that order. */
  readonly imagesBefore: Uint32Array;
}

export function buildBirthIndex(birthKeys: Float64Array, hasImage: Uint8Array): BirthIndex {
  return runToEnd(birthIndexSteps(birthKeys, hasImage));
}

/** `buildBirthIndex` as steps (see `Steps`). */
export function* birthIndexSteps(birthKeys: Float64Array, hasImage: Uint8Array): Steps<BirthIndex> {
  const order = yield* positionSteps(birthKeys);
  const keys = new Float64Array(order.length);
  const imagesBefore = new Uint32Array(order.length + 1);
  for (let i = 0; i < order.length; i++) {
    if (i % ITEMS_PER_STEP === 0) yield;
    keys[i] = birthKeys[order[i]!]!;
    imagesBefore[i + 1] = imagesBefore[i]! + hasImage[order[i]!]!;
  }
  return { order, keys, imagesBefore };
}

/** First position whose key is greater than `key` (`orEqual`: greater or equal). */
function bound(keys: Float64Array, key: number, orEqual: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key || (!orEqual && keys[mid] === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The positions `[start, end)` of the index whose birth keys lie in `[min, max]`. */
export function keyRange(index: BirthIndex, min: number, max: number): { start: number; end: number } {
  return { start: bound(index.keys, min, true), end: bound(index.keys, max, false) };
}

/**
 * Calls `visit(age, users)` once per distinct age over positions `[start, end)` of the index, from
 * the oldest age down, counting users with (`wantImage` 1) or without (0) an image, or all (-1).
 * Ages with nobody counted are skipped.
 */
export function forEachAge(
  index: BirthIndex,
  start: number,
  end: number,
  todayKey: number,
  wantImage: -1 | 0 | 1,
  visit: (age: number, users: number) => void,
): void {
  for (let p = start; p < end;) {
    const age = yearsBetweenKeys(index.keys[p]!, todayKey);
    // Everyone born up to the last day of this age shares it.
    const next = Math.min(end, bound(index.keys, birthKeyRange(todayKey, age).max, false));
    const all = next - p;
    const withImage = index.imagesBefore[next]! - index.imagesBefore[p]!;
    const n = wantImage === -1 ? all : wantImage === 1 ? withImage : all - withImage;
    if (n > 0) visit(age, n);
    p = next;
  }
}

/** Count and sum of completed years over positions `[start, end)` of the index (see `forEachAge`). */
export function ageTotals(index: BirthIndex, start: number, end: number, todayKey: number, wantImage: -1 | 0 | 1): { count: number; sum: number } {
  let count = 0;
  let sum = 0;
  forEachAge(index, start, end, todayKey, wantImage, (age, n) => {
    count += n;
    sum += n * age;
  });
  return { count, sum };
}

/** Users per completed year of age over positions `[start, end)` of the index, youngest first (see `forEachAge`). */
export function ageCounts(index: BirthIndex, start: number, end: number, todayKey: number, wantImage: -1 | 0 | 1): { age: number; count: number }[] {
  const counts: { age: number; count: number }[] = [];
  forEachAge(index, start, end, todayKey, wantImage, (age, count) => counts.push({ age, count }));
  return counts.reverse();
}
