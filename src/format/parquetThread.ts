import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
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

type Columns = (Float64Array | (string | null)[])[];
/** To the thread: a slice of rows column by column (timestamps as ms), the end of a row group, or of the file. */
type Message = { type: 'rows'; columns: Columns } | { type: 'group' } | { type: 'end' };
/** From the thread: a row group written, the finished file, or why it failed. */
type Reply = { type: 'written' } | { type: 'done'; bytes: ArrayBuffer } | { type: 'failed'; message: string };

/** One encode at a time: each holds a row group's copy of the columns and a core while it runs. */
let turn: Promise<unknown> = Promise.resolve();

/**
 * Encodes on a thread of its own: a row group of 100,000 users is about half a second of work
 * that the writer does in one go, which on the event loop would hold every request that long.
 * Here the event loop only gathers the columns, a slice per step, and the thread confirms each row
 * group before the next is sent, so at most one row group is copied at a time. Encodes queue
 * behind each other; `signal` gives up (waiting or running) and stops the thread.
 */
export function encodeOnThread(rows: readonly UserRow[], file: Omit<EncodeJob, 'writerUrl'>, signal?: AbortSignal): Promise<Uint8Array> {
  const mine = turn.then(() => encode(rows, file, signal));
  turn = mine.catch(() => undefined);
  return mine;
}

async function encode(rows: readonly UserRow[], file: Omit<EncodeJob, 'writerUrl'>, signal: AbortSignal | undefined): Promise<Uint8Array> {
  signal?.throwIfAborted();
  const job: EncodeJob = { writerUrl: pathToFileURL(createRequire(import.meta.url).resolve('hyparquet-writer')).href, ...file };
  const worker = startWorker(encodeBody, job, { background: true, helpers: [writeGroup] });
  const replies = replyQueue(worker);
  try {
    const pacer = new Pacer(signal);
    for (let start = 0; start < rows.length; start += file.groupRows) {
      const group = rows.slice(start, start + file.groupRows);
      await pacer.drive(sendGroup(group, file.schema, (message) => worker.postMessage(message)));
      worker.postMessage({ type: 'group' } satisfies Message);
      if ((await replies.next()).type !== 'written') throw new Error('the Parquet thread answered out of turn');
      signal?.throwIfAborted();
    }
    worker.postMessage({ type: 'end' } satisfies Message);
    const done = await replies.next();
    if (done.type !== 'done') throw new Error('the Parquet thread answered out of turn');
    return new Uint8Array(done.bytes);
  } finally {
    void worker.terminate();
  }
}

/**
 * The thread's replies in order. A failure (an error reply, a crash, an exit) is kept until asked
 * for, so it is never an unhandled rejection while the event loop is busy sending.
 */
function replyQueue(worker: Worker): { next(): Promise<Reply> } {
  const replies: Reply[] = [];
  let failure: Error | undefined;
  let waiter: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    waiter?.reject(failure);
    waiter = undefined;
  };
  worker.on('message', (reply: Reply) => {
    if (reply.type === 'failed') return fail(new Error(`Parquet encoding failed: ${reply.message}`));
    if (waiter) waiter.resolve(reply);
    else replies.push(reply);
    waiter = undefined;
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the Parquet thread stopped (exit code ${code}) before it finished`)));
  return {
    next: () => {
      const reply = replies.shift();
      if (reply) return Promise.resolve(reply);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
  };
}

/** One row group as slices of columns, one slice per step. */
function* sendGroup(rows: readonly UserRow[], schema: SchemaElement[], send: (message: Message) => void): Steps<void> {
  const leaves = schema.slice(1);
  for (let start = 0; start < rows.length; start += ROWS_PER_MESSAGE) {
    const part = rows.slice(start, start + ROWS_PER_MESSAGE);
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

/** The thread: loads the writer, gathers a row group's slices, writes it and says so, and at the end answers the file. */
function encodeBody({ workerThreads }: WorkerModules, job: EncodeJob): void {
  const port = workerThreads.parentPort!;
  // Through Function: a test runner that rewrites `import()` in modules must not touch this one.
  const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<typeof HyparquetWriter>;
  const loaded = importModule(job.writerUrl).then((writer) => {
    const bytes = new writer.ByteWriter();
    return { bytes, parquet: new writer.ParquetWriter({ writer: bytes, schema: job.schema, createdBy: job.createdBy }) };
  });
  let slices: Columns[] = [];
  let work = Promise.resolve();
  port.on('message', (message: Message) => {
    work = work
      .then(async () => {
        const { bytes, parquet } = await loaded;
        if (message.type === 'rows') {
          slices.push(message.columns);
        } else if (message.type === 'group') {
          writeGroup(parquet, job.schema, slices);
          slices = [];
          port.postMessage({ type: 'written' } satisfies Reply);
        } else {
          void parquet.finish();
          const buffer: ArrayBuffer = bytes.getBuffer();
          port.postMessage({ type: 'done', bytes: buffer } satisfies Reply, [buffer]);
        }
      })
      .catch((error: unknown) => port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies Reply));
  });
}

/** Writes the gathered slices as one row group. */
function writeGroup(parquet: HyparquetWriter.ParquetWriter, schema: SchemaElement[], slices: Columns[]): void {
  const columnData = schema.slice(1).map(({ name, type }, c) => {
    const parts = slices.map((slice) => slice[c]!);
    if (type !== 'INT64') return { name, data: ([] as (string | null)[]).concat(...(parts as (string | null)[][])) as HyparquetWriter.ColumnSource['data'] };
    const data = new BigInt64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) for (const ms of part as Float64Array) data[at++] = BigInt(ms);
    return { name, data: data as HyparquetWriter.ColumnSource['data'] };
  });
  const rows = columnData[0]?.data.length ?? 0;
  if (rows > 0) void parquet.write({ columnData, rowGroupSize: rows });
}
