import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as HyparquetWriter from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet-writer';
import type { UserRow } from '../model.js';
import { Pacer } from '../util/pacer.js';
import type { Steps } from '../util/steps.js';
import { startWorker, type WorkerModules } from '../util/worker.js';
import { cell } from './columns.js';

/** Rows sent to the encoding thread per message: a few milliseconds to gather and copy. */
const ROWS_PER_MESSAGE = 8_192;

/** What the encoding thread is told at start. */
export interface EncodeJob {
  /** `file:` URL of the writer library, resolved here: the thread's shipped source cannot resolve packages. */
  writerUrl: string;
  schema: SchemaElement[];
  groupRows: number;
  createdBy: string;
}

/** A slice of rows, column by column: timestamps as numbers (ms), text as strings or null. */
type Slice = { type: 'rows'; columns: (Float64Array | (string | null)[])[] } | { type: 'end' };
type Reply = { type: 'done'; bytes: ArrayBuffer } | { type: 'failed'; message: string };

/**
 * Encodes on a thread of its own: a row group of 100,000 users is about half a second of work
 * that the writer does in one go, which on the event loop would hold every request that long.
 * Here the event loop only gathers the columns, a slice per step, and copies them across.
 */
export async function encodeOnThread(rows: readonly UserRow[], file: Omit<EncodeJob, 'writerUrl'>): Promise<Uint8Array> {
  const { schema, groupRows } = file;
  const job: EncodeJob = { writerUrl: pathToFileURL(createRequire(import.meta.url).resolve('hyparquet-writer')).href, ...file };
  const worker = startWorker(encodeBody, job, { background: true, helpers: [writeGroup] });
  try {
    const reply = new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the Parquet thread stopped (exit code ${code}) before it finished`)));
    });
    await new Pacer().drive(sendSlices(rows, schema, groupRows, (slice) => worker.postMessage(slice)));
    worker.postMessage({ type: 'end' } satisfies Slice);
    const answer = await reply;
    if (answer.type === 'failed') throw new Error(`Parquet encoding failed: ${answer.message}`);
    return new Uint8Array(answer.bytes);
  } finally {
    void worker.terminate();
  }
}

/** The rows as slices of columns, one slice per step; no slice spans two row groups. */
function* sendSlices(rows: readonly UserRow[], schema: SchemaElement[], groupRows: number, send: (slice: Slice) => void): Steps<void> {
  const leaves = schema.slice(1);
  for (let start = 0; start < rows.length;) {
    const groupEnd = (Math.floor(start / groupRows) + 1) * groupRows;
    const part = rows.slice(start, Math.min(start + ROWS_PER_MESSAGE, groupEnd));
    start += part.length;
    const columns = leaves.map(({ name, type }) =>
      type === 'INT64' ? Float64Array.from(part, (row) => Number(cell(row, name))) : part.map((row) => textOf(cell(row, name))),
    );
    send({ type: 'rows', columns });
    yield;
  }
}

function textOf(value: string | number | null): string | null {
  return value === null ? null : String(value);
}

/*
 * The functions below run on the encoding thread as shipped source (see `startWorker`): they use
 * only their parameters, globals and each other.
 */

/** The thread: loads the writer, gathers slices into row groups, writes each when full, answers the file. */
function encodeBody({ workerThreads }: WorkerModules, job: EncodeJob): void {
  const port = workerThreads.parentPort!;
  const pending: (Float64Array | (string | null)[])[][] = [];
  let pendingRows = 0;
  // Through Function: a test runner that rewrites `import()` in modules must not touch this one.
  const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<typeof HyparquetWriter>;
  const loaded = importModule(job.writerUrl).then((writer) => {
    const bytes = new writer.ByteWriter();
    return { bytes, parquet: new writer.ParquetWriter({ writer: bytes, schema: job.schema, createdBy: job.createdBy }) };
  });
  let work = Promise.resolve();
  port.on('message', (slice: Slice) => {
    work = work
      .then(async () => {
        const { bytes, parquet } = await loaded;
        if (slice.type === 'rows') {
          pending.push(slice.columns);
          pendingRows += slice.columns[0]?.length ?? 0;
          if (pendingRows >= job.groupRows) pendingRows = writeGroup(parquet, job.schema, pending.splice(0));
          return;
        }
        if (pendingRows > 0) writeGroup(parquet, job.schema, pending.splice(0));
        void parquet.finish();
        const buffer: ArrayBuffer = bytes.getBuffer();
        port.postMessage({ type: 'done', bytes: buffer } satisfies Reply, [buffer]);
      })
      .catch((error: unknown) => port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies Reply));
  });
}

/** Writes the gathered slices as one row group; returns the rows still pending (none). */
function writeGroup(parquet: HyparquetWriter.ParquetWriter, schema: SchemaElement[], slices: (Float64Array | (string | null)[])[][]): number {
  const columnData = schema.slice(1).map(({ name, type }, c) => {
    const parts = slices.map((slice) => slice[c]!);
    if (type !== 'INT64') return { name, data: ([] as (string | null)[]).concat(...(parts as (string | null)[][])) as HyparquetWriter.ColumnSource['data'] };
    const data = new BigInt64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) for (const ms of part as Float64Array) data[at++] = BigInt(ms);
    return { name, data: data as HyparquetWriter.ColumnSource['data'] };
  });
  const rows = columnData[0]?.data.length ?? 0;
  void parquet.write({ columnData, rowGroupSize: Math.max(rows, 1) });
  return 0;
}
