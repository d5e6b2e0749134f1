// The Parquet section of RESULTS.md, from results/parquet.json (bench/parquet.mjs).
import { MAX_BLOCK_MS } from './goals.mjs';
import { int, ms, ratio } from './format.mjs';
import { bytes, mark, table } from './markdown.mjs';

/** The size the issue asks of the Parquet output against the CSV of the same rows. */
const SIZE_RATIO_GOAL = 0.7;

const times = (r) => `${ratio(r)} ×`;

function rowsOf(s, csvMaxUsers) {
  const users = int(s.users);
  const p = s.parquet;
  const f = p.floor;
  const d = s.duckdb;
  const rows = [
    [
      users,
      'CSV of every user (`toCsv()`): time, size',
      `${ms(s.csv.buildMs.median)}, ${bytes(s.csv.bytes)}`,
      `bare \`rows.map(…).join\` without quoting: ${ms(s.csv.floorMs.median)}`,
      times(s.csv.buildMs.median / s.csv.floorMs.median),
    ],
    [
      users,
      `Parquet of every user (\`toParquet()\`): time, size, ${s.rowGroups} row group(s)`,
      `${ms(p.buildMs.median)}, ${bytes(p.bytes)}`,
      `bare \`parquetWriteBuffer\`: ${ms(f.ms.median)} (column arrays ${ms(f.columnsMs.median)} + write ${ms(f.writeMs.median)}), ${bytes(f.bytes)}`,
      times(p.buildMs.median / f.ms.median),
    ],
    [
      users,
      'Parquet size / CSV size (the exported files)',
      `${ratio(s.sizeRatio)} (${bytes(p.bytes)} / ${bytes(s.csv.bytes)})`,
      `≤ ${SIZE_RATIO_GOAL}`,
      mark(s.sizeRatio <= SIZE_RATIO_GOAL),
    ],
    [
      users,
      'longest event-loop stall while `toParquet()` encodes every user',
      `${ms(p.maxBlockMs.median)} (runs: ${p.maxBlockMs.runs.map(ms).join(', ')})`,
      `report (the other figures' bound: ${MAX_BLOCK_MS} ms)`,
      p.maxBlockMs.median <= MAX_BLOCK_MS ? `within ${MAX_BLOCK_MS} ms` : `**over ${MAX_BLOCK_MS} ms**`,
    ],
    [
      users,
      '`exportOutput()` writing output.csv and output.parquet / output.csv only',
      `${ms(s.export.bothMs.median)} / ${ms(s.export.csvOnlyMs.median)}, longest stall ${ms(s.export.maxBlockMs.median)}`,
      'report',
      times(s.export.bothMs.median / s.export.csvOnlyMs.median),
    ],
  ];
  const agree = `same count and mean (to 1e-6) on every side and in \`averageAge()\`: ${d.agree ? 'yes' : '**no**'}`;
  rows.push([
    users,
    'DuckDB, average age in completed years: from output.parquet / from the raw per-user CSVs (`read_csv(…, union_by_name = true)`)',
    `${ms(d.parquet.ms.median)} / ${d.csv.skipped ? 'not measured' : ms(d.csv.ms.median)}; ${int(d.parquet.count)} users, mean ${d.parquet.averageAge.toFixed(6)} years`,
    d.csv.skipped ? `${agree}; raw CSVs not measured above ${int(csvMaxUsers)} users (\`--duckdb-csv-max-users\`)` : agree,
    d.ratio === undefined ? '—' : `Parquet ${int(1 / d.ratio)} × faster`,
  ]);
  return rows;
}

export function parquetSection(r) {
  const commands = [
    ...new Set(r.sizes.map((s) => `\`${s.command}\` (${s.at.slice(0, 10)}, ${s.runs} run(s), library at ${s.commit ?? 'an unrecorded commit'})`)),
  ];
  return [
    '## Parquet (`npm run bench:parquet`)',
    `Default configuration on a local folder of demo users, seeded as files and synced; ${r.machine.cores} × ${r.machine.cpuModel}, Node ${r.machine.node}, ` +
      `load average at start ${r.machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(', ')}. Times are medians; every run is in \`bench/results/parquet.json\`. ` +
      `A ratio in the last column is the library's figure over the bare code's in the same run. ` +
      `Ages are counted as the library counts them: the UTC calendar dates of today and of \`birthts\` as \`yyyymmdd\`, \`(today − birth) // 10000\`, the same expression on both sides. Measured by ${commands.join('; ')}.`,
    table(
      ['Users', 'Figure', 'Measured', 'Goal / floor', 'Result'],
      r.sizes.flatMap((s) => rowsOf(s, r.duckdbCsvMaxUsers)),
    ),
  ].join('\n\n');
}
