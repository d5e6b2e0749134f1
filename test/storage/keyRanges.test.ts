import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WHOLE_RANGE, chooseCuts, compareKeys, inRange, splitAt, type KeyRange } from '../../src/storage/s3/keyRanges.js';

const PREFIX = 'source_data/';
/** Characters of every kind a cut point treats differently: its three classes, others, and past ASCII and the BMP. */
const CHARS = ['0', '1', '2', '5', '9', 'a', 'b', 'm', 'z', 'A', 'Q', 'Z', '.', '-', '_', '/', ' ', 'é', 'ß', '中', '\uE000', '\uFFFD', '😀', '𝒜'];
const suffix = fc.array(fc.constantFrom(...CHARS), { minLength: 0, maxLength: 6 }).map((chars) => chars.join(''));
/** Keys under the prefix, in S3's order; short suffixes make keys equal to cut points (`…/2`, `…/1a`) common. */
const keySet = fc.uniqueArray(suffix, { minLength: 1, maxLength: 80 }).map((suffixes) => suffixes.map((s) => PREFIX + s).sort(compareKeys));
const sign = (n: number) => Math.sign(n);

describe('S3 key order', () => {
  it('is the order of the UTF-8 bytes, for any strings', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        (a, b) => sign(compareKeys(a, b)) === sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
      ),
      { numRuns: 2000 },
    );
  });

  it('puts U+E000 before characters beyond the BMP, where JavaScript puts it after', () => {
    expect('😀' < '\uE000').toBe(true);
    expect(compareKeys('\uE000', '😀')).toBeLessThan(0);
    expect(compareKeys('a/\uE000x', 'a/😀')).toBeLessThan(0);
    expect(compareKeys('a', 'a')).toBe(0);
    expect(compareKeys('a', 'a0')).toBeLessThan(0);
  });
});

describe('cut points', () => {
  it('after a numeric key, offer the higher digits at each position, coarsest first', () => {
    const cuts = chooseCuts(`${PREFIX}1000500.png`, PREFIX, null, 1000).map((c) => c.slice(PREFIX.length));
    const digits = [
      ...['1000501', '1000502', '1000503', '1000504', '1000505', '1000506', '1000507', '1000508', '1000509'],
      ...['100051', '100052', '100053', '100054', '100055', '100056', '100057', '100058', '100059'],
      ...['10006', '10007', '10008', '10009'],
      ...['1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008', '1009'],
      ...['101', '102', '103', '104', '105', '106', '107', '108', '109'],
      ...['11', '12', '13', '14', '15', '16', '17', '18', '19'],
      ...['2', '3', '4', '5', '6', '7', '8', '9'],
    ];
    // The extension's letters give the finest ones, first in order: `png` → `pnh` … `pnz`, `po` … `pz`, `q` … `z`.
    const letters = 19 + 12 + 10;
    expect(cuts.slice(letters)).toEqual(digits);
    expect(cuts.slice(0, letters).every((c) => c.startsWith('1000500.'))).toBe(true);
    expect([cuts[0], cuts[letters - 1]]).toEqual(['1000500.pnh', '1000500.z']);
  });

  it('when fewer are wanted, take the coarsest, spread evenly', () => {
    expect(chooseCuts(`${PREFIX}1000500.png`, PREFIX, null, 7)).toEqual(['2', '3', '4', '6', '7', '8', '9'].map((c) => PREFIX + c));
    expect(chooseCuts(`${PREFIX}1000500.png`, PREFIX, `${PREFIX}2`, 3)).toEqual(['13', '15', '18'].map((c) => PREFIX + c));
    expect(chooseCuts(`${PREFIX}1000500.png`, PREFIX, `${PREFIX}2`, 12).slice(-9)).toEqual(
      ['11', '12', '13', '14', '15', '16', '17', '18', '19'].map((c) => PREFIX + c),
    );
  });

  it('are none past the highest characters, or for characters outside the three classes', () => {
    expect(chooseCuts(`${PREFIX}9zZ`, PREFIX, null, 8)).toEqual([]);
    expect(chooseCuts(`${PREFIX}é-中😀.`, PREFIX, null, 8)).toEqual([]);
    expect(chooseCuts(`${PREFIX}`, PREFIX, null, 8)).toEqual([]);
  });

  it('lie strictly between the key and the upper bound, sorted, under the prefix, at most as many as asked', () => {
    fc.assert(
      fc.property(keySet, fc.nat(), fc.option(suffix, { nil: null }), fc.integer({ min: 0, max: 40 }), (keys, pick, upSuffix, count) => {
        const lastKey = keys[pick % keys.length]!;
        const upTo = upSuffix === null ? null : PREFIX + upSuffix;
        const cuts = chooseCuts(lastKey, PREFIX, upTo, count);
        expect(cuts.length).toBeLessThanOrEqual(count);
        for (const [i, cut] of cuts.entries()) {
          expect(cut.startsWith(PREFIX)).toBe(true);
          expect(compareKeys(cut, lastKey)).toBeGreaterThan(0);
          if (upTo !== null) expect(compareKeys(cut, upTo)).toBeLessThan(0);
          if (i > 0) expect(compareKeys(cuts[i - 1]!, cut)).toBeLessThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('splitting ranges', () => {
  it('cuts a range into consecutive ranges', () => {
    expect(splitAt({ after: 'p/1', upTo: null }, ['p/2', 'p/3'])).toEqual([
      { after: 'p/1', upTo: 'p/2' },
      { after: 'p/2', upTo: 'p/3' },
      { after: 'p/3', upTo: null },
    ]);
    expect(splitAt(WHOLE_RANGE, [])).toEqual([WHOLE_RANGE]);
  });

  it('keeps every key in exactly one part, however often and wherever parts are split', () => {
    const splits = fc.array(fc.record({ part: fc.nat(), key: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }), { maxLength: 30 });
    fc.assert(
      fc.property(keySet, splits, (keys, steps) => {
        const parts: KeyRange[] = [WHOLE_RANGE];
        for (const step of steps) {
          const index = step.part % parts.length;
          const part = parts[index]!;
          // A part splits the rest of its range after a key it listed, as the lister does.
          const own = keys.filter((key) => inRange(key, part));
          const lastKey = own[step.key % Math.max(1, own.length)];
          if (lastKey === undefined) continue;
          const [first, ...others] = splitAt({ after: lastKey, upTo: part.upTo }, chooseCuts(lastKey, PREFIX, part.upTo, step.count));
          parts[index] = { after: part.after, upTo: first!.upTo };
          parts.push(...others);
        }
        for (const key of keys) expect(parts.filter((part) => inRange(key, part))).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });
});
