const LF = 10;
const CR = 13;

/** The header line last split, and its trimmed cells: consecutive files nearly always share one. */
let lastHeader: { line: string; delimiter: string; cells: readonly string[] } | undefined;

/**
 * The trimmed cells of a file that is exactly one header line and one data line, give or take blank
 * lines, with no quote character anywhere; `undefined` for any other file. For such files this is
 * what `splitCsv` gives (a property test holds the two equal), without its per-line arrays and
 * strings: a sync splits a million of them. Identical header lines give the same (frozen) array.
 */
export function splitSimple(text: string, delimiter: string): { header: readonly string[]; row: string[] } | undefined {
  if (text.includes('"')) return undefined;
  let header: readonly string[] | undefined;
  let row: string[] | undefined;
  for (let start = 0; start <= text.length;) {
    let end = start;
    for (let c = text.charCodeAt(end); end < text.length && c !== LF && c !== CR; c = text.charCodeAt(++end));
    const line = text.slice(start, end);
    // `\r\n` is one line break; a lone `\r` or `\n` is one too.
    start = end + (text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF ? 2 : 1);
    if (isBlank(line, delimiter)) continue;
    if (header === undefined) header = headerCells(line, delimiter);
    else if (row === undefined) row = trimmedCells(line, delimiter);
    else return undefined; // a second data row: the general path says so
  }
  return header && row ? { header, row } : undefined;
}

/** Whether a line has nothing but white space between its delimiters (`splitCsv` drops such lines). */
function isBlank(line: string, delimiter: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    // A printable ASCII character other than space and comma survives any split: the line has content.
    if (c > 32 && c < 127 && c !== 44) return false;
  }
  return line.split(delimiter).join('').trim() === '';
}

function headerCells(line: string, delimiter: string): readonly string[] {
  if (lastHeader?.line !== line || lastHeader.delimiter !== delimiter) {
    lastHeader = { line, delimiter, cells: Object.freeze(trimmedCells(line, delimiter)) };
  }
  return lastHeader.cells;
}

function trimmedCells(line: string, delimiter: string): string[] {
  const cells = line.split(delimiter);
  for (let i = 0; i < cells.length; i++) cells[i] = cells[i]!.trim();
  return cells;
}
