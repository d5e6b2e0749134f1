import { InvalidInputError } from '../errors.js';
import type { UserRow } from '../model.js';
import { cell } from './columns.js';
import { runToEnd, type Steps } from '../util/steps.js';

export interface CsvOptions {
  /** Field separator, one character. Default `,`. */
  delimiter?: string;
  /** Line ending. Default `\n`. */
  newline?: '\n' | '\r\n';
  /**
   * Neutralise spreadsheet formulas: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a
   * carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running it
   * (OWASP's advice against CSV injection). Numeric columns, and text that is a plain number such as `-42`, are never touched. Default `true`.
   */
  escapeFormulas?: boolean;
}

/** Options of the encoder itself: every caller says whether formulas are escaped (no silent default). */
export type CsvEncoding = CsvOptions & { escapeFormulas: boolean };

/** First characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number (`-42`, `+7`, `3.5e2`): a spreadsheet reads it as that number, never as a formula. */
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Rows written between two steps of `csvSteps`: a few milliseconds of work. */
const ROWS_PER_STEP = 2048;

/**
 * RFC 4180 text: a field is quoted when it holds the delimiter, a quote, a line break, or leading
 * or trailing white space (which many readers would otherwise trim); quotes inside are doubled.
 * `null` (a user with no image) is an empty cell.
 */
export function encodeCsv(rows: readonly UserRow[], columns: readonly string[], options: CsvEncoding): string {
  return runToEnd(csvChunks(rows, columns, options)).join('');
}

/** The same text as UTF-8 bytes, encoded a chunk per step (see `csvChunks`). */
export function* csvBytes(rows: readonly UserRow[], columns: readonly string[], options: CsvEncoding): Steps<Buffer> {
  const buffers: Buffer[] = [];
  for (const chunk of yield* csvChunks(rows, columns, options)) {
    buffers.push(Buffer.from(chunk));
    yield;
  }
  return Buffer.concat(buffers);
}

/**
 * `encodeCsv`'s text in chunks of `ROWS_PER_STEP` lines, each ending with a line break, as steps: one
 * chunk per step, so an export of a million users (seconds of work) can let requests in between
 * (see `Pacer.drive`). Joined, the chunks are the text; no step flattens all of it at once.
 */
function* csvChunks(rows: readonly UserRow[], columns: readonly string[], options: CsvEncoding): Steps<string[]> {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) {
    throw new InvalidInputError(`delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const newline = options.newline ?? '\n';
  const quote = quoter(delimiter, options.escapeFormulas);
  const chunks = [columns.map(quote).join(delimiter) + newline];
  let lines: string[] = [];
  for (const row of rows) {
    let line = '';
    for (let c = 0; c < columns.length; c++) {
      if (c > 0) line += delimiter;
      const value = cell(row, columns[c]!);
      line += value === null ? '' : typeof value === 'number' ? String(value) : quote(value);
    }
    lines.push(line);
    if (lines.length === ROWS_PER_STEP) {
      chunks.push(lines.join(newline) + newline);
      lines = [];
      yield;
    }
  }
  if (lines.length > 0) chunks.push(lines.join(newline) + newline);
  return chunks;
}

function quoter(delimiter: string, escapeFormulas: boolean): (value: string) => string {
  const needsQuotes = new RegExp(`["\\r\\n${escapeForClass(delimiter)}]|^\\s|\\s$`);
  return (raw) => {
    const value = escapeFormulas && FORMULA_START.test(raw) && !PLAIN_NUMBER.test(raw) ? `'${raw}` : raw;
    return needsQuotes.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  };
}

function escapeForClass(char: string): string {
  return char.replace(/[\\\]^-]/g, '\\$&');
}
