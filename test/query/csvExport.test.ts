import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { csvBytes, encodeCsv, type CsvOptions } from '../../src/format/csv.js';

/** The encoder with the library's default: formulas escaped. */
const toCsv = (rows: Parameters<typeof encodeCsv>[0], columns: readonly string[], options: CsvOptions = {}) =>
  encodeCsv(rows, columns, { escapeFormulas: true, ...options });
import { DEFAULT_COLUMNS } from '../../src/model.js';
import { parseUserCsv } from '../../src/parse/userCsv.js';
import { row } from '../support/rows.js';

describe('encodeCsv', () => {
  it('writes the header, one line per row and an empty cell for a missing image', () => {
    const rows = [row('2', 'Ann', 'Lee', 0, 'source_data/2.png'), row('10', 'Bo', 'Ek', -1, null)];
    expect(toCsv(rows, DEFAULT_COLUMNS).split('\n')).toEqual([
      'user_id,first_name,last_name,birthts,img_path',
      '2,Ann,Lee,0,source_data/2.png',
      '10,Bo,Ek,-1,',
      '',
    ]);
  });

  it('quotes only what needs quoting', () => {
    const rows = [row('1', 'Smith, Jr', 'O"Brien', 5, null), row('2', 'multi\nline', ' padded', 6, null)];
    expect(toCsv(rows, ['first_name', 'last_name'])).toBe('first_name,last_name\n"Smith, Jr","O""Brien"\n"multi\nline"," padded"\n');
  });

  it('honours another delimiter and quotes fields containing it', () => {
    expect(toCsv([row('1', 'a;b', 'c,d', 1, null)], ['first_name', 'last_name'], { delimiter: ';' })).toBe('first_name;last_name\n"a;b";c,d\n');
  });

  it('neutralises spreadsheet formulas in text cells, leaving numbers alone', () => {
    const rows = [
      row('1', '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", -5, null),
      row('2', '@SUM(A1)', '-2+3', 7, null),
      row('3', '\tTab', '\rReturn', 0, null),
      row('4', 'plain', 'a=b', 1, null),
    ];
    expect(toCsv(rows, DEFAULT_COLUMNS).split('\n')).toEqual([
      'user_id,first_name,last_name,birthts,img_path',
      `1,"'=HYPERLINK(""http://x"",""y"")",'+cmd|' /C calc'!A0,-5,`,
      "2,'@SUM(A1),'-2+3,7,",
      `3,'\tTab,"'\rReturn",0,`,
      '4,plain,a=b,1,',
      '',
    ]);
    expect(toCsv(rows, DEFAULT_COLUMNS, { escapeFormulas: false })).toContain('1,"=HYPERLINK(""http://x"",""y"")",+cmd|\' /C calc\'!A0,-5,');
  });

  it('refuses a delimiter that cannot work', () => {
    expect(() => toCsv([], DEFAULT_COLUMNS, { delimiter: '"' })).toThrow(/delimiter/);
    expect(() => toCsv([], DEFAULT_COLUMNS, { delimiter: ';;' })).toThrow(/delimiter/);
  });

  it('round-trips any names through a standard CSV reader', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'Ł', ',', ';', '"', ' ', '\n', '\r', 'é', 'x', '=', '+', '-', '@', '\t'),
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text, fc.integer({ min: -1e12, max: 1e12 })), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(',', ';', '\t'),
        fc.boolean(),
        (people, delimiter, escapeFormulas) => {
          const rows = people.map(([f, l, b], i) => row(String(i), f, l, b, i % 2 ? `k/${i}.png` : null));
          const parsed = Papa.parse<string[]>(toCsv(rows, DEFAULT_COLUMNS, { delimiter, escapeFormulas }), { delimiter, newline: '\n' });
          const neutral = (v: string) => (escapeFormulas && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
          const expected = [DEFAULT_COLUMNS, ...rows.map((r) => [r.user_id, neutral(r.first_name), neutral(r.last_name), String(r.birthts), r.img_path ?? ''])];
          expect(parsed.data.slice(0, expected.length)).toEqual(expected);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('round-trips a user through our own reader', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'Ø', ',', '"', ' ', 'z'), minLength: 1, maxLength: 10 }).filter((s) => s.trim() === s && s !== '');
    fc.assert(
      fc.property(name, name, fc.integer({ min: -1e12, max: 1e12 }), (first, last, birthts) => {
        const csv = toCsv([row('1', first, last, birthts, null)], ['first_name', 'last_name', 'birthts']);
        expect(parseUserCsv(csv)).toEqual({ ok: true, user: { first_name: first, last_name: last, birthts, extra: {} } });
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('csvBytes', () => {
  it('hands control back every few thousand rows and ends with the bytes of the text toCsv gives', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => row(String(i), `F${i} é`, i % 7 ? 'L' : '=SUM(A1)', i * 1000, i % 2 ? `p/${i}.png` : null));
    const steps = csvBytes(rows, DEFAULT_COLUMNS, { newline: '\r\n', escapeFormulas: true });
    let pauses = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) pauses++;
    expect(pauses).toBeGreaterThanOrEqual(8);
    const text = toCsv(rows, DEFAULT_COLUMNS, { newline: '\r\n' });
    expect(step.value.equals(Buffer.from(text))).toBe(true);
    expect(text.split('\r\n')).toHaveLength(10_002);
    expect(text.endsWith('\r\n')).toBe(true);
  });
});
