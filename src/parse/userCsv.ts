import { isUtf8 } from 'node:buffer';
import Papa from 'papaparse';
import { z } from 'zod';
import { CSV_COLUMNS, type CsvColumn, type ParsedUser } from '../model.js';
import { MAX_DATE_MS, textProblem } from './rules.js';
import { splitSimple } from './simpleCsv.js';

const INTEGER = /^[+-]?\d+$/;

/** The fields a user CSV must provide (`CSV_COLUMNS`), after trimming. */
export const USER_CSV_SCHEMA = z.object({
  first_name: z.string().min(1, 'is empty'),
  last_name: z.string().min(1, 'is empty'),
  birthts: z
    .string()
    .regex(INTEGER, 'must be an integer number of milliseconds since 1970-01-01 UTC')
    .transform(Number)
    .refine(Number.isSafeInteger, 'is too large to be a timestamp')
    .refine((ms) => Math.abs(ms) <= MAX_DATE_MS, 'is outside the range of dates'),
});

/** Every CSV column has its rule, and no other field does. */
USER_CSV_SCHEMA.shape satisfies Record<CsvColumn, z.ZodType>;
const UTF8_BOM = '\uFEFF';
const LINE_BREAK = /\r\n|\n|\r/;
const EMPTY_EXTRA: Readonly<Record<string, string>> = Object.freeze({});

export type { ParsedUser } from '../model.js';

export type ParseResult = { ok: true; user: ParsedUser } | { ok: false; reason: string };

/**
 * Parses one user's CSV: a header row and exactly one data row. Whitespace around names and values
 * is not significant; a UTF-8 BOM, CRLF line ends and blank lines are tolerated. Files written
 * with `, ` between fields may quote a field after the space (`Ivan, "Smith, Jr", 1`), which a
 * plain comma split would cut in two, so both separators are tried: whichever reads the file
 * cleanly wins, and when neither does, the first one's complaint is reported.
 *
 * Only the file's shape and types are checked here; the rules that depend on the clock (no birth
 * date in the future, none too long ago) are `checkBirthDate`'s, re-applied on every sync.
 */
export function parseUserCsv(content: Buffer | string): ParseResult {
  // isUtf8 is a native check: far cheaper per small file than a fatal TextDecoder.
  if (typeof content !== 'string' && !isUtf8(content)) return { ok: false, reason: 'not valid UTF-8 text' };
  const text = typeof content === 'string' ? content : content.toString('utf8');
  return parseUserCsvText(text);
}

/**
 * `parseUserCsv` of decoded text. With `fastPath` (the default), a plain file (no quotes, one
 * header and one data row, valid fields) is read without the general machinery; the answer is the
 * same either way, which a property test checks.
 */
export function parseUserCsvText(content: string, { fastPath = true } = {}): ParseResult {
  const result = parseShape(content, fastPath);
  const problem = result.ok ? textProblem(result.user) : null;
  return problem ? { ok: false, reason: problem } : result;
}

/** The file's shape and types (see `parseUserCsvText`), before the rules over its text. */
function parseShape(content: string, fastPath: boolean): ParseResult {
  const text = content.startsWith(UTF8_BOM) ? content.slice(1) : content;
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const spaced = /,[ \t]/.test(firstLine);
  const delimiters = spaced ? [', ', ','] : [',', ', '];
  if (fastPath) {
    const simple = splitSimple(text, delimiters[0]!);
    const user = simple && plainUser(simple.header, simple.row);
    if (user) return { ok: true, user };
  }
  let firstFailure: ParseResult | undefined;
  for (const delimiter of delimiters) {
    const result = parseWith(text, delimiter);
    if (result.ok) return result;
    firstFailure ??= result;
  }
  return firstFailure!;
}

/**
 * Cells of every non-blank line. Text without a quote character has no escaping to undo, so a
 * split gives papaparse's answer (a property test holds them equal) at a fraction of its per-call
 * cost, which dominates a sync of many tiny files. Anything quoted goes to papaparse.
 */
export function splitCsv(text: string, delimiter: string): { rows: string[][]; quoteError?: string } {
  if (!text.includes('"')) {
    // Any mix of line endings, as long as the file has no quoted field to hide one in.
    const rows = text.split(LINE_BREAK).map((line) => line.split(delimiter));
    return { rows: rows.filter((cells) => cells.join('').trim() !== '') };
  }
  const parsed = Papa.parse<string[]>(text, { delimiter, skipEmptyLines: 'greedy' });
  const error = parsed.errors.find((e) => e.type === 'Quotes');
  return { rows: parsed.data, quoteError: error && `malformed quotes on line ${(error.row ?? 0) + 1}: ${error.message}` };
}

function parseWith(text: string, delimiter: string): ParseResult {
  const { rows: raw, quoteError } = splitCsv(text, delimiter);
  if (quoteError) return { ok: false, reason: quoteError };
  const [header, ...rows] = raw.map((row) => row.map((cell) => cell.trim()));
  if (!header || header.every((h) => h === '')) return { ok: false, reason: 'the file is empty' };
  const headerProblem = checkHeader(header);
  if (headerProblem) return { ok: false, reason: headerProblem };
  if (rows.length !== 1) {
    return { ok: false, reason: rows.length === 0 ? 'no data row after the header' : `expected one data row, found ${rows.length}` };
  }
  const row = rows[0]!;
  if (row.length !== header.length) {
    return { ok: false, reason: `the data row has ${row.length} fields but the header has ${header.length}` };
  }
  return toUser(header, row);
}

function checkHeader(header: readonly string[]): string | null {
  const missing = CSV_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) return `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the header has ${header.length})`;
  const duplicate = header.find((h, i) => header.indexOf(h) !== i);
  if (duplicate !== undefined)
    return `column ${CSV_COLUMNS.includes(duplicate as never) ? duplicate : `#${header.indexOf(duplicate) + 1}`} appears twice in the header`;
  if (header.includes('')) return 'the header has a column with no name';
  return null;
}

function toUser(header: string[], row: string[]): ParseResult {
  // A fixed-shape literal keeps the per-file validation on V8's fast path.
  const fields = { first_name: cellOf(header, row, 'first_name'), last_name: cellOf(header, row, 'last_name'), birthts: cellOf(header, row, 'birthts') };
  const checked = USER_CSV_SCHEMA.safeParse(fields);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const column = String(issue.path[0]) as keyof typeof fields;
    // The reason names the column but never repeats the cell: reasons travel in API answers and logs.
    return { ok: false, reason: `${column} ${issue.message}` };
  }
  const { first_name, last_name, birthts } = checked.data;
  return { ok: true, user: { first_name, last_name, birthts, extra: extraColumns(header, row) } };
}

/** The header last found sound by `plainUser`: files in a row nearly always share it. */
let soundHeader: readonly string[] | undefined;

/**
 * The user of a plain file whose fields plainly pass `USER_CSV_SCHEMA`, else `undefined` (the
 * general path then decides, and words any complaint). Accepts only what the schema accepts, with
 * the same result; a property test compares the two on generated files.
 */
function plainUser(header: readonly string[], row: string[]): ParsedUser | undefined {
  if (header !== soundHeader) {
    if (checkHeader(header)) return undefined;
    soundHeader = header;
  }
  if (row.length !== header.length) return undefined;
  const first_name = cellOf(header, row, 'first_name');
  const last_name = cellOf(header, row, 'last_name');
  const digits = cellOf(header, row, 'birthts');
  const birthts = Number(digits);
  if (first_name === '' || last_name === '' || !INTEGER.test(digits) || !Number.isSafeInteger(birthts) || Math.abs(birthts) > MAX_DATE_MS) return undefined;
  return { first_name, last_name, birthts, extra: extraColumns(header, row) };
}

function cellOf(header: readonly string[], row: string[], column: string): string {
  return row[header.indexOf(column)] ?? '';
}

function extraColumns(header: readonly string[], row: string[]): Readonly<Record<string, string>> {
  if (header.length === CSV_COLUMNS.length) return EMPTY_EXTRA;
  // Null prototype: a column named `__proto__` is data like any other.
  const extra = Object.create(null) as Record<string, string>;
  header.forEach((name, i) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) extra[name] = row[i] ?? '';
  });
  return extra;
}
