// The Parquet figures of one synced transformer: the output as CSV and as Parquet (time, size,
// each against bare code doing the same job in the same run), the longest event-loop stall while
// the Parquet file is encoded, and DuckDB's average age from output.parquet against the raw CSVs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { PARQUET_ROW_GROUP_ROWS } from '../../dist/index.js';
import { OUTPUT_KEY } from './stores.mjs';
import { log, settle, summary, timed, timedWithBlocking } from './stats.mjs';

export const PARQUET_KEY = OUTPUT_KEY.replace(/\.csv$/, '.parquet');

/** A then B on even runs, B then A on odd ones, so neither side always runs first. */
async function inTurn(run, ...sides) {
  for (const side of run % 2 === 0 ? sides : [...sides].reverse()) {
    await settle();
    await side();
  }
}

/** The plainest CSV of the rows: no quoting, no formula escaping, one join. */
function bareCsv(rows) {
  const lines = rows.map((r) => [r.user_id, r.first_name, r.last_name, r.birthts, r.img_path ?? ''].join(','));
  return Buffer.from(`user_id,first_name,last_name,birthts,img_path\n${lines.join('\n')}\n`);
}

const text = (name, repetition_type) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type });
/** The schema the library writes, spelled out here so the floor does not borrow the library's code. */
const BARE_SCHEMA = [
  { name: 'schema', num_children: 5 },
  text('user_id', 'REQUIRED'),
  text('first_name', 'REQUIRED'),
  text('last_name', 'REQUIRED'),
  { name: 'birthts', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
  text('img_path', 'OPTIONAL'),
];

/** Column arrays from the rows, then one `parquetWriteBuffer` call: the writer with nothing around it. */
function bareParquet(rows) {
  let started = performance.now();
  const columnData = [
    { name: 'user_id', data: rows.map((r) => r.user_id) },
    { name: 'first_name', data: rows.map((r) => r.first_name) },
    { name: 'last_name', data: rows.map((r) => r.last_name) },
    { name: 'birthts', data: BigInt64Array.from(rows, (r) => BigInt(r.birthts)) },
    { name: 'img_path', data: rows.map((r) => r.img_path ?? null) },
  ];
  const columnsMs = performance.now() - started;
  started = performance.now();
  const bytes = parquetWriteBuffer({ columnData, schema: BARE_SCHEMA, rowGroupSize: PARQUET_ROW_GROUP_ROWS });
  return { columnsMs, writeMs: performance.now() - started, bytes: bytes.byteLength };
}

/**
 * CSV and Parquet of every user, each against its bare floor, `runs` times in turns; then the
 * export of both files as the service runs it, against the CSV-only export, with the longest stall.
 */
export async function measureEncoding(t, runs) {
  const rows = t.rows();
  const csv = [];
  const csvFloor = [];
  const parquet = [];
  const parquetBlock = [];
  const floor = [];
  const sizes = {};
  for (let run = 0; run < runs; run++) {
    await inTurn(
      run,
      async () => {
        const { ms, value } = await timed(() => t.toCsv());
        csv.push(ms);
        sizes.csv = Buffer.byteLength(value);
      },
      async () => {
        const { ms, value } = await timed(() => bareCsv(rows));
        csvFloor.push(ms);
        sizes.bareCsv = value.length;
      },
      async () => {
        // Every user, as `exportOutput` encodes them (`encodeParquet`), with the longest stall meanwhile.
        const { ms, value, maxBlockMs } = await timedWithBlocking(() => t.toParquet());
        parquet.push(ms);
        parquetBlock.push(maxBlockMs);
        sizes.parquet = value.byteLength;
      },
      async () => {
        const bare = bareParquet(rows);
        floor.push({ ms: bare.columnsMs + bare.writeMs, columnsMs: bare.columnsMs, writeMs: bare.writeMs });
        sizes.bareParquet = bare.bytes;
      },
    );
    log(
      `  run ${run + 1}/${runs}: csv ${csv.at(-1).toFixed(0)} ms (bare ${csvFloor.at(-1).toFixed(0)}), parquet ${parquet.at(-1).toFixed(0)} ms (bare ${floor.at(-1).ms.toFixed(0)}), stall ${parquetBlock.at(-1).toFixed(0)} ms`,
    );
  }
  const exportCsvOnly = [];
  const exportBoth = [];
  const exportBlock = [];
  let written;
  for (let run = 0; run < runs; run++) {
    await inTurn(
      run,
      async () => exportCsvOnly.push((await timed(() => t.exportOutput(OUTPUT_KEY, { parquetKey: null }))).ms),
      async () => {
        const { ms, value, maxBlockMs } = await timedWithBlocking(() => t.exportOutput());
        exportBoth.push(ms);
        exportBlock.push(maxBlockMs);
        written = value;
      },
    );
  }
  if (written.parquet?.key !== PARQUET_KEY) throw new Error(`the default export wrote ${JSON.stringify(written.parquet)}, not ${PARQUET_KEY}`);
  return {
    rows: rows.length,
    rowGroups: Math.ceil(rows.length / PARQUET_ROW_GROUP_ROWS),
    csv: { bytes: written.bytes, buildMs: summary(csv), floorMs: summary(csvFloor), floorBytes: sizes.bareCsv },
    parquet: {
      bytes: written.parquet.bytes,
      buildMs: summary(parquet),
      maxBlockMs: summary(parquetBlock),
      floor: {
        ms: summary(floor.map((f) => f.ms)),
        columnsMs: summary(floor.map((f) => f.columnsMs)),
        writeMs: summary(floor.map((f) => f.writeMs)),
        bytes: sizes.bareParquet,
      },
    },
    export: { csvOnlyMs: summary(exportCsvOnly), bothMs: summary(exportBoth), maxBlockMs: summary(exportBlock) },
  };
}

const quote = (file) => `'${file.replaceAll("'", "''")}'`;

/**
 * Mean age in completed years on `todayKey` (a UTC `yyyymmdd`), the library's own definition: the
 * birth instant's UTC calendar date as `yyyymmdd`, and `(today - birth) // 10000`.
 */
function averageAgeSql(from, birth) {
  const key = `(year(${birth}) * 10000 + month(${birth}) * 100 + day(${birth}))`;
  return `SELECT count(*) AS n, avg((TODAY - ${key}) // 10000) AS average FROM ${from}`;
}

/** One query in a fresh in-memory DuckDB (nothing cached from an earlier run); only the query is timed. */
async function timedQuery(sql) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const { ms, value } = await timed(() => connection.runAndReadAll(sql));
    const [row] = value.getRowObjectsJS();
    return { ms, count: Number(row.n), averageAge: Number(row.average) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function repeatQuery(sql, runs) {
  const results = [];
  for (let run = 0; run < runs; run++) {
    await settle();
    results.push(await timedQuery(sql));
  }
  return { ms: summary(results.map((r) => r.ms)), count: results[0].count, averageAge: results[0].averageAge };
}

/** Agreement to within this of a year: both sides sum the same integers, so only rounding differs. */
const AGE_TOLERANCE = 1e-6;

/**
 * DuckDB's average age from the exported output.parquet and from the raw per-user CSVs (at most
 * `csvMaxUsers`: DuckDB opens and sniffs every file), each checked against the library's own
 * `averageAge()` on the same day.
 */
export async function measureDuckdb(t, root, sourceDir, { runs, csvMaxUsers, todayKey }) {
  const library = t.averageAge();
  const parquetFile = path.join(root, PARQUET_KEY);
  const parquetSql = averageAgeSql(`read_parquet(${quote(parquetFile)})`, 'birthts').replace('TODAY', String(todayKey));
  log('  duckdb: output.parquet');
  const parquet = await repeatQuery(parquetSql, runs);
  const out = { todayKey, library, parquetBytes: readFileSync(parquetFile).length, parquet };
  if (library.count > csvMaxUsers) {
    out.csv = { skipped: `more users than --duckdb-csv-max-users (${csvMaxUsers}): DuckDB opens every raw CSV, about a minute per 100,000 on 2 shared cores` };
  } else {
    log('  duckdb: raw CSVs');
    const from = `read_csv(${quote(path.join(sourceDir, '*.csv'))}, union_by_name = true)`;
    out.csv = await repeatQuery(averageAgeSql(from, 'epoch_ms(birthts)').replace('TODAY', String(todayKey)), runs);
    out.ratio = out.parquet.ms.median / out.csv.ms.median;
  }
  const sides = [parquet, ...(out.csv.skipped ? [] : [out.csv])];
  out.agree = sides.every((s) => s.count === library.count && Math.abs(s.averageAge - library.averageAge) <= AGE_TOLERANCE);
  if (!out.agree) log(`  DISAGREE: library ${JSON.stringify(library)}, parquet ${JSON.stringify(parquet)}, csv ${JSON.stringify(out.csv)}`);
  return out;
}
