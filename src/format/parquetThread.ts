import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type * as HyparquetWriter from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet-writer';
import type { UserRow } from '../model.js';
import { raceAbort } from '../util/async.js';
import { Pacer } from '../util/pacer.js';
import type { Steps } from '../util/steps.js';
import { IDLE_THREAD_STOP_MS, startWorker, type WorkerModules } from '../util/worker.js';
import { cell } from './columns.js';

/** Rows sent to the encoding thread per message: a few milliseconds to gather and copy. */
const ROWS_PER_MESSAGE = 8_192;

/** One file to encode. */
export interface EncodeJob {
  schema: SchemaElement[];
  groupRows: number;
  createdBy: string;
}

/** What the encoding thread is told at start: `file:` URL of the writer, resolved here, since its shipped source cannot resolve packages. */
interface ThreadData {
  writerUrl: string;
}

type Columns = (Float64Array | (string | null)[])[];
/** To the thread: a slice of rows column by column (timestamps as ms), the end of a row group, or of the file. */
type Message = { type: 'begin'; job: EncodeJob } | { type: 'rows'; columns: Columns } | { type: 'group' } | { type: 'end' };
/** From the thread: a row group written, the finished file, or why it failed. */
type Reply = { type: 'written' } | { type: 'done'; bytes: ArrayBuffer } | { type: 'failed'; message: string };

/** One encode at a time: each holds a row group's copy of the columns and a core while it runs. */
let turn: Promise<unknown> = Promise.resolve();

interface EncodingThread {
  worker: Worker;
  replies: { next(): Promise<Reply> };
}
/** The thread of the last encode, kept a while: starting one and loading the writer costs about 100 ms. */
let idle: { thread: EncodingThread; timer: NodeJS.Timeout } | undefined;

/**
 * Encodes on a thread of its own: a row group of 100,000 users is about half a second of work
 * that the writer does in one go, which on the event loop would hold every request that long.
 * Here the event loop only gathers the columns, a slice per step, and the thread confirms each row
 * group before the next is sent, so at most one row group is copied at a time. Encodes queue
 * behind each other; `signal` gives up (waiting or running) and stops the thread.
 */
export function encodeOnThread(rows: readonly UserRow[], file: EncodeJob, signal?: AbortSignal): Promise<Uint8Array> {
  const mine = turn.then(() => encode(rows, file, signal));
  turn = mine.catch(() => undefined);
  // Given up while waiting: the caller hears at once; its turn, when it comes, ends at once.
  return raceAbort(mine, signal);
}

async function encode(rows: readonly UserRow[], file: EncodeJob, signal: AbortSignal | undefined): Promise<Uint8Array> {
  signal?.throwIfAborted();
  const thread = takeThread();
  const { worker, replies } = thread;
  let finished = false;
  try {
    worker.postMessage({ type: 'begin', job: file } satisfies Message);
    const pacer = new Pacer(signal);
    for (let start = 0; start < rows.length; start += file.groupRows) {
      const group = rows.slice(start, start + file.groupRows);
      await pacer.drive(sendGroup(group, file.schema, (message) => worker.postMessage(message)));
      worker.postMessage({ type: 'group' } satisfies Message);
      if ((await raceAbort(replies.next(), signal)).type !== 'written') throw new Error('the Parquet thread answered out of turn');
      signal?.throwIfAborted();
    }
    worker.postMessage({ type: 'end' } satisfies Message);
    const done = await replies.next();
    if (done.type !== 'done') throw new Error('the Parquet thread answered out of turn');
    finished = true;
    return new Uint8Array(done.bytes);
  } finally {
    // A thread that failed or was given up on may be mid-file: never reused.
    if (finished) keepIdle(thread);
    else void worker.terminate();
  }
}

function takeThread(): EncodingThread {
  if (idle) {
    clearTimeout(idle.timer);
    const { thread } = idle;
    idle = undefined;
    thread.worker.ref();
    return thread;
  }
  const data: ThreadData = { writerUrl: pathToFileURL(createRequire(import.meta.url).resolve('hyparquet-writer')).href };
  const worker = startWorker(encodeBody, data, { background: true, helpers: [writeGroup] });
  const thread = { worker, replies: replyQueue(worker) };
  // A thread that dies while kept (killed, out of memory) is not handed to the next encode.
  worker.once('exit', () => {
    if (idle?.thread !== thread) return;
    clearTimeout(idle.timer);
    idle = undefined;
  });
  return thread;
}

/** Keeps the thread for the next encode; it never holds the process open, and stops after a quiet spell. */
function keepIdle(thread: EncodingThread): void {
  thread.worker.unref();
  const timer = setTimeout(() => {
    if (idle?.thread !== thread) return;
    idle = undefined;
    void thread.worker.terminate();
  }, IDLE_THREAD_STOP_MS);
  timer.unref();
  idle = { thread, timer };
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

/** The thread: loads the writer; per file, gathers a row group's slices, writes it and says so, and at the end answers the file. */
function encodeBody({ workerThreads }: WorkerModules, data: ThreadData): void {
  const port = workerThreads.parentPort!;
  // Through Function: a test runner that rewrites `import()` in modules must not touch this one.
  const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<typeof HyparquetWriter>;
  const loaded = importModule(data.writerUrl);
  let file: { job: EncodeJob; bytes: HyparquetWriter.ByteWriter; parquet: HyparquetWriter.ParquetWriter } | undefined;
  let slices: Columns[] = [];
  let work = Promise.resolve();
  port.on('message', (message: Message) => {
    work = work
      .then(async () => {
        const writer = await loaded;
        if (message.type === 'begin') {
          const bytes = new writer.ByteWriter();
          const { schema, createdBy } = message.job;
          file = { job: message.job, bytes, parquet: new writer.ParquetWriter({ writer: bytes, schema, createdBy }) };
          slices = [];
        } else if (message.type === 'rows') {
          slices.push(message.columns);
        } else if (message.type === 'group') {
          writeGroup(file!.parquet, file!.job.schema, slices);
          slices = [];
          port.postMessage({ type: 'written' } satisfies Reply);
        } else {
          void file!.parquet.finish();
          const buffer: ArrayBuffer = file!.bytes.getBuffer();
          file = undefined;
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
