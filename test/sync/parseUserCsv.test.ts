import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Papa from 'papaparse';
import { checkBirthDate } from '../../src/parse/birthDate.js';
import { splitSimple } from '../../src/parse/simpleCsv.js';
import { parseUserCsv, parseUserCsvText, splitCsv } from '../../src/parse/userCsv.js';

const NOW = Date.UTC(2026, 10, 22);
const parse = (text: string | Buffer) => parseUserCsv(text);

describe('parseUserCsv accepts real-world files', () => {
  it.each([
    ['plain', 'first_name,last_name,birthts\nIvan,Ivanov,946674000000\n'],
    ['spaces after commas', 'first_name, last_name, birthts\nIvan, Ivanov, 946674000000'],
    ['CRLF and trailing blank lines', 'first_name,last_name,birthts\r\nIvan,Ivanov,946674000000\r\n\r\n'],
    ['old Mac line ends', 'first_name,last_name,birthts\rIvan,Ivanov,946674000000\r'],
    ['mixed line ends', 'first_name,last_name,birthts\nIvan,Ivanov,946674000000\r\n'],
    ['a UTF-8 byte-order mark', '\uFEFFfirst_name,last_name,birthts\nIvan,Ivanov,946674000000\n'],
    ['padding everywhere', '  first_name ,last_name,  birthts\n\t Ivan , Ivanov ,946674000000 \n'],
    ['header spaced, row not', 'first_name, last_name, birthts\nIvan,Ivanov,946674000000\n'],
  ])('%s', (_label, text) => {
    expect(parse(text)).toEqual({ ok: true, user: { first_name: 'Ivan', last_name: 'Ivanov', birthts: 946674000000, extra: {} } });
  });

  it('reads a BOM given as bytes', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('first_name,last_name,birthts\nÉmilie,Łukasz,1\n')]);
    expect(parse(bytes)).toMatchObject({ ok: true, user: { first_name: 'Émilie', last_name: 'Łukasz' } });
  });

  it('unquotes RFC 4180 fields, also after a space', () => {
    expect(parse('first_name,last_name,birthts\n"Smith, Jr","O""Brien",-86400000\n')).toMatchObject({
      ok: true,
      user: { first_name: 'Smith, Jr', last_name: 'O"Brien', birthts: -86400000 },
    });
    expect(parse('first_name, last_name, birthts\nJohn, "Smith, Jr", 5\n')).toMatchObject({ ok: true, user: { last_name: 'Smith, Jr' } });
  });

  it('keeps a column named __proto__ as data', () => {
    const result = parse('first_name,last_name,birthts,__proto__\nA,B,1,x\n');
    expect(result.ok && Object.entries(result.user.extra)).toEqual([['__proto__', 'x']]);
  });

  it('accepts U+FFFD written as real UTF-8', () => {
    expect(parse(Buffer.from('first_name,last_name,birthts\nA\uFFFD,B,1\n'))).toMatchObject({ ok: true, user: { first_name: 'A\uFFFD' } });
  });

  it('keeps extra columns by their trimmed header name', () => {
    expect(parse('first_name, last_name, birthts, city\nA, B, 1, Oslo\n')).toEqual({
      ok: true,
      user: { first_name: 'A', last_name: 'B', birthts: 1, extra: { city: 'Oslo' } },
    });
  });
});

describe('parseUserCsv rejects broken files with a precise reason', () => {
  it.each([
    ['an empty file', '', /empty/],
    ['a header only', 'first_name,last_name,birthts\n', /no data row/],
    ['two data rows', 'first_name,last_name,birthts\nA,B,1\nC,D,2\n', /expected one data row, found 2/],
    ['a missing column', 'first_name,last_name\nA,B\n', /missing column birthts/],
    ['a duplicated column', 'first_name,last_name,birthts,last_name\nA,B,1,C\n', /last_name appears twice/],
    ['a short row', 'first_name,last_name,birthts\nA,B\n', /2 fields but the header has 3/],
    ['an empty name', 'first_name,last_name,birthts\n ,B,1\n', /first_name is empty/],
    ['a fractional birthts', 'first_name,last_name,birthts\nA,B,1.5\n', /birthts must be an integer/],
    ['a date instead of a timestamp', 'first_name,last_name,birthts\nA,B,2000-01-01\n', /birthts must be an integer/],
    ['an empty birthts', 'first_name,last_name,birthts\nA,B,\n', /birthts must be an integer/],
    ['a birthts too large for a date', 'first_name,last_name,birthts\nA,B,9999999999999999\n', /birthts is (too large|outside)/],
    ['an unterminated quote', 'first_name,last_name,birthts\n"A,B,1\n', /malformed quotes/],
  ])('%s', (_label, text, reason) => {
    const result = parse(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('never repeats file content in a reason, and keeps reasons short', () => {
    const secret = 'S3CR3T-' + 'x'.repeat(5_000);
    for (const text of [
      `first_name,last_name,birthts\nA,B,${secret}\n`,
      `first_name,${secret},last_name\nA,B,C\n`,
      `${secret}\n1\n`,
      `first_name,last_name,birthts,${secret},${secret}\nA,B,1,2,3\n`,
    ]) {
      const result = parse(text);
      expect(result.ok).toBe(false);
      const reason = result.ok ? '' : result.reason;
      expect(reason).not.toContain('S3CR3T');
      expect(reason.length).toBeLessThanOrEqual(200);
    }
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(parse(Buffer.from([0x66, 0xff, 0xfe, 0x0a]))).toEqual({ ok: false, reason: 'not valid UTF-8 text' });
  });
});

describe('checkBirthDate', () => {
  it('accepts dates up to now and back to the bound, to the millisecond', () => {
    expect(checkBirthDate(NOW, NOW)).toBeNull();
    expect(checkBirthDate(Date.UTC(1876, 10, 22), NOW)).toBeNull();
    expect(checkBirthDate(Date.UTC(1876, 10, 22) - 1, NOW)).toMatch(/more than 150 years ago/);
    expect(checkBirthDate(NOW + 1, NOW)).toMatch(/in the future/);
    expect(checkBirthDate(-8.64e15, NOW)).toMatch(/more than 150 years ago/);
    expect(checkBirthDate(Date.UTC(1920, 0, 1), NOW, 100)).toMatch(/more than 100 years ago/);
  });
});

describe('splitCsv', () => {
  it('splits unquoted text exactly as papaparse does', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', ',', ' ', '\t', '1'), maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 5 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.constantFrom(',', ', '),
        (lines, newline, trailing, delimiter) => {
          const text = lines.join(newline) + (trailing ? newline : '');
          const papa = Papa.parse<string[]>(text, { delimiter, skipEmptyLines: 'greedy' }).data;
          expect(splitCsv(text, delimiter).rows).toEqual(papa);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('the fast path of parseUserCsv', () => {
  // Cells that exercise every rule: the required names, padding, empty cells, signs, fractions,
  // integers past the safe range and past the date range, and letters outside Latin-1.
  const cell = fc.oneof(
    fc.constantFrom('first_name', 'last_name', 'birthts', ' first_name ', 'city', '', ' ', '\t'),
    fc.constantFrom('Ivan', ' Zoë ', 'Мария', 'A', '0', '-86400000', '+5', '1.5', '12a', '9007199254740993', '8640000000000001', '8640000000000000'),
    fc.string({ unit: fc.constantFrom('a', '1', '-', '+', ' ', 'é'), maxLength: 6 }),
  );
  const line = fc.array(cell, { minLength: 0, maxLength: 5 });
  const file = fc.record({
    lines: fc.array(line, { minLength: 0, maxLength: 4 }),
    delimiter: fc.constantFrom(',', ', ', ' ,'),
    newline: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.boolean(),
    trailing: fc.boolean(),
  });
  type GeneratedFile = typeof file extends fc.Arbitrary<infer T> ? T : never;
  const render = ({ lines, delimiter, newline, bom, trailing }: GeneratedFile) =>
    (bom ? '\uFEFF' : '') + lines.map((cells) => cells.join(delimiter)).join(newline) + (trailing ? newline : '');

  it('answers every file exactly as the general path does', () => {
    fc.assert(
      fc.property(file, (f) => {
        const text = render(f);
        expect(parseUserCsvText(text)).toEqual(parseUserCsvText(text, { fastPath: false }));
      }),
      { numRuns: 20_000 },
    );
  });

  it('splits a two-line file as splitCsv does, and declines every other file', () => {
    fc.assert(
      fc.property(file, fc.constantFrom(',', ', '), (f, delimiter) => {
        const text = render({ ...f, bom: false });
        const general = splitCsv(text, delimiter).rows.map((row) => row.map((c) => c.trim()));
        const simple = splitSimple(text, delimiter);
        expect(simple && [simple.header, simple.row]).toEqual(general.length === 2 ? general : undefined);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the common files and agrees on them', () => {
    const header = fc.shuffledSubarray(['first_name', 'last_name', 'birthts', 'city'], { minLength: 3, maxLength: 4 });
    const value = fc.constantFrom('Ivan', ' Zoë ', 'Мария', '946674000000', '-86400000', '0', 'Oslo');
    fc.assert(
      fc.property(header, fc.array(value, { minLength: 3, maxLength: 4 }), fc.constantFrom(',', ', '), (columns, values, delimiter) => {
        const text = `${columns.join(delimiter)}\n${values.slice(0, columns.length).join(delimiter)}\n`;
        expect(parseUserCsvText(text)).toEqual(parseUserCsvText(text, { fastPath: false }));
      }),
      { numRuns: 5_000 },
    );
  });
});
