import type { Request } from 'express';
import { DEFAULT_COLUMNS, encodeCsv, PARQUET_MEDIA_TYPE, rowJson, type UserRow } from '../index.js';
import type { Steps } from '../util/steps.js';
import { NotAcceptableError } from './httpErrors.js';
import type { Format } from '../converters/queryString.js';

/** Media types of the answer formats, in order of preference when the client has none. */
export const MEDIA_TYPES: Readonly<Record<Format, string>> = {
  json: 'application/json',
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  parquet: PARQUET_MEDIA_TYPE,
};

/** The formats written as text, a chunk of rows at a time; Parquet is a binary file written whole. */
export type TextFormat = Exclude<Format, 'parquet'>;

/**
 * The answer format: `format=` when given, else the best match for the Accept header. A browser's
 * usual Accept (HTML first, then any type at q=0.8) matches all of them equally and gets JSON.
 */
export function chooseFormat(req: Request, explicit: Format | undefined): Format {
  if (explicit) return explicit;
  const types = Object.values(MEDIA_TYPES);
  const picked = req.accepts(types);
  const format = (Object.keys(MEDIA_TYPES) as Format[]).find((f) => MEDIA_TYPES[f] === picked);
  if (!format) {
    throw new NotAcceptableError(`GET /data answers ${types.join(', ')}; the Accept header admits none of them (or use format=json|csv|ndjson|parquet)`);
  }
  return format;
}

/** The Content-Type header of an answer in `format`. */
export function contentTypeOf(format: Format): string {
  return format === 'parquet' ? MEDIA_TYPES.parquet : `${MEDIA_TYPES[format]}; charset=utf-8`;
}

/**
 * Writes rows in one format, a chunk at a time: `head`, then `encode(chunk, continued)` for each
 * chunk (`continued` for all but the first), then `tail`. Pieces join into one valid document.
 */
export interface RowEncoder {
  readonly contentType: string;
  readonly head: string;
  readonly tail: string;
  encode(rows: readonly UserRow[], continued: boolean): string;
}

export interface EncoderOptions {
  /** CSV: neutralise spreadsheet formulas, as the transformer's own CSV does (its `escapeFormulas`). */
  escapeFormulas: boolean;
  /**
   * Row JSON cached per row object: rows are immutable (a change replaces the object), so a
   * repeated query joins cached strings instead of re-encoding. Bounded by the table: at most one
   * string per row, dropped with the row.
   */
  jsonCache?: WeakMap<UserRow, string>;
}

export function encoderFor(format: TextFormat, { escapeFormulas, jsonCache }: EncoderOptions): RowEncoder {
  const contentType = contentTypeOf(format);
  switch (format) {
    case 'json':
      return {
        contentType,
        head: '[',
        tail: ']',
        encode: (rows, continued) => (continued && rows.length > 0 ? ',' : '') + jsonRows(rows, jsonCache).join(','),
      };
    case 'ndjson':
      return { contentType, head: '', tail: '', encode: (rows) => jsonRows(rows, jsonCache).join('\n') + (rows.length > 0 ? '\n' : '') };
    case 'csv': {
      // The output file's columns and quoting; every chunk without the header line the CSV starts with.
      const header = encodeCsv([], DEFAULT_COLUMNS, { escapeFormulas });
      return { contentType, head: header, tail: '', encode: (rows) => encodeCsv(rows, DEFAULT_COLUMNS, { escapeFormulas }).slice(header.length) };
    }
  }
}

/** A whole document of the rows in one string. */
export function encodeAll(encoder: RowEncoder, rows: readonly UserRow[]): string {
  return encoder.head + encoder.encode(rows, false) + encoder.tail;
}

/** Rows encoded per step of `encodeAllSteps`: a few milliseconds of work. */
const ROWS_PER_STEP = 2048;

/**
 * `encodeAll` as UTF-8 bytes, a slice of rows per step (see `Steps`): the whole table of a million
 * users is seconds of work, which `Pacer.drive` spreads between requests.
 */
export function* encodeAllSteps(encoder: RowEncoder, rows: readonly UserRow[]): Steps<Buffer> {
  const parts = [Buffer.from(encoder.head)];
  for (let i = 0; i < rows.length; i += ROWS_PER_STEP) {
    parts.push(Buffer.from(encoder.encode(rows.slice(i, i + ROWS_PER_STEP), i > 0)));
    yield;
  }
  parts.push(Buffer.from(encoder.tail));
  return Buffer.concat(parts);
}

/** Each row's JSON, from the cache when it has it. */
function jsonRows(rows: readonly UserRow[], cache: WeakMap<UserRow, string> | undefined): string[] {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let json = cache?.get(r);
    if (json === undefined) {
      json = rowJson(r);
      cache?.set(r, json);
    }
    parts[i] = json;
  }
  return parts;
}
