import { InvalidInputError } from '../errors.js';
import type { UserRow } from '../model.js';
import { cell } from './columns.js';

export interface CsvOptions {
  /** Field separator, one character. Default `,`. */
  delimiter?: string;
  /** Line ending. Default `\n`. */
  newline?: '\n' | '\r\n';
  /**
   * Neutralise spreadsheet formulas: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a
   * carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running it
   * (OWASP's advice against CSV injection). Numeric columns are never touched. Default `true`.
   */
  escapeFormulas?: boolean;
}

/** First characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180 text: a field is quoted when it holds the delimiter, a quote, a line break, or leading
 * or trailing white space (which many readers would otherwise trim); quotes inside are doubled.
 * `null` (a user with no image) is an empty cell.
 */
export function toCsv(rows: readonly UserRow[], columns: readonly string[], options: CsvOptions = {}): string {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) {
    throw new InvalidInputError(`delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const newline = options.newline ?? '\n';
  const quote = quoter(delimiter, options.escapeFormulas ?? true);
  const lines: string[] = [columns.map(quote).join(delimiter)];
  for (const row of rows) {
    let line = '';
    for (let c = 0; c < columns.length; c++) {
      if (c > 0) line += delimiter;
      const value = cell(row, columns[c]!);
      line += value === null ? '' : typeof value === 'number' ? String(value) : quote(value);
    }
    lines.push(line);
  }
  return lines.join(newline) + newline;
}

function quoter(delimiter: string, escapeFormulas: boolean): (value: string) => string {
  const needsQuotes = new RegExp(`["\\r\\n${escapeForClass(delimiter)}]|^\\s|\\s$`);
  return (raw) => {
    const value = escapeFormulas && FORMULA_START.test(raw) ? `'${raw}` : raw;
    return needsQuotes.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  };
}

function escapeForClass(char: string): string {
  return char.replace(/[\\\]^-]/g, '\\$&');
}
