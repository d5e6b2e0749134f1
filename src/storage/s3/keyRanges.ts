/**
 * Ranges of the key space under a prefix, so that one listing can run as several parts at once.
 * A range is `(after, upTo]`: keys greater than `after` (null: from the first key) and at most
 * `upTo` (null: to the last). A part lists its range with `start-after = after` and stops at the
 * first key past `upTo`; nothing needs to be known about the keys in advance. When a part learns a
 * key `k` of its range, the rest of the range, `(k, upTo]`, can be cut into consecutive ranges at
 * cut points made from `k` (`chooseCuts`), which together hold every key of it exactly once.
 *
 * Every comparison is in S3's order, UTF-8 bytes; JavaScript's `<` compares UTF-16 units, which
 * puts U+E000–U+FFFF after the characters beyond the BMP where S3 puts them before.
 */
export interface KeyRange {
  /** Exclusive lower bound; null for the start of the prefix. */
  readonly after: string | null;
  /** Inclusive upper bound; null for the end of the prefix. */
  readonly upTo: string | null;
}

/** The whole of a prefix. */
export const WHOLE_RANGE: KeyRange = { after: null, upTo: null };

/** Characters a cut point may put in place of a key's own: the one class the key's character is in. */
const CUT_CLASSES = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'] as const;

/** Negative, zero or positive as `a` sorts before, with or after `b` in S3's order (UTF-8 bytes). */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // ASCII sorts alike in both encodings; past it, the bytes themselves decide. Keys differ in
    // ASCII almost always, so the encoding is rarely paid for.
    if (x < 0x80 && y < 0x80) return x - y;
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  return a.length - b.length;
}

/** Whether `key` lies in `range`. */
export function inRange(key: string, range: KeyRange): boolean {
  return (range.after === null || compareKeys(key, range.after) > 0) && (range.upTo === null || compareKeys(key, range.upTo) <= 0);
}

/** Whether a part whose listing reached `key` has seen all of its range: S3 lists in key order. */
export function reachedEnd(key: string, range: KeyRange): boolean {
  return range.upTo !== null && compareKeys(key, range.upTo) >= 0;
}

/**
 * Up to `count` cut points for the rest of a range after its key `lastKey`, sorted, each strictly
 * between `lastKey` and `upTo`. A cut point is `lastKey` up to some position past the prefix, then a
 * higher character of the same class (digit, lower-case or upper-case letter) than the key's own
 * there: after `source_data/1000500.png`, `source_data/2` … `source_data/9`, then `source_data/11`
 * … `source_data/19`, and so on. The coarsest positions come first, as they split off the most
 * key space; where a position offers more cut points than are wanted, they are taken evenly
 * spread. Bounded by `count`, whatever the length of the key.
 */
export function chooseCuts(lastKey: string, prefix: string, upTo: string | null, count: number): string[] {
  const chosen: string[] = [];
  for (let position = prefix.length; position < lastKey.length && chosen.length < count; position++) {
    const valid = cutsAt(lastKey, position).filter((cut) => upTo === null || compareKeys(cut, upTo) < 0);
    chosen.push(...spread(valid, count - chosen.length));
  }
  return chosen.sort(compareKeys);
}

/** The cut points one position of `key` offers. */
function cutsAt(key: string, position: number): string[] {
  const own = key[position] ?? '';
  const chars = CUT_CLASSES.find((chars) => chars.includes(own));
  if (!chars) return [];
  const stem = key.slice(0, position);
  return [...chars.slice(chars.indexOf(own) + 1)].map((higher) => stem + higher);
}

/** `count` of `cuts` (all of them when there are fewer), spaced so the pieces between hold about as many characters each. */
function spread(cuts: string[], count: number): string[] {
  if (cuts.length <= count) return cuts;
  // `n` cut points make n + 1 pieces of one character each (the first, the rest of the key's own);
  // taking every (n + 1)/(count + 1)-th groups them into count + 1 pieces of about equal width.
  const step = (cuts.length + 1) / (count + 1);
  return Array.from({ length: count }, (_, j) => cuts[Math.round((j + 1) * step) - 1]!);
}

/** `range` cut at `cuts` (sorted, strictly inside it) into consecutive ranges that tile it. */
export function splitAt(range: KeyRange, cuts: readonly string[]): KeyRange[] {
  const bounds = [range.after, ...cuts, range.upTo];
  return cuts.length === 0 ? [range] : bounds.slice(1).map((upTo, i) => ({ after: bounds[i] ?? null, upTo }));
}
