import { readFile, stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  DEFAULT_OUTPUT_KEY,
  DEFAULT_OUTPUT_PARQUET_KEY,
  describeError,
  EMPTY_OUTPUT_BYTES_AT_MOST,
  EmptySourceError,
  outputHoldsRows,
  PARQUET_MEDIA_TYPE,
  storedOutputHoldsRows,
  type ObjectStore,
  type SyncReport,
  type UserDataTransformer,
} from '../../index.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { asBuffer } from '../../util/buffers.js';
import { RuntimeFailure } from '../errors.js';
import { formatFor } from '../fileFormat.js';
import { plural } from '../format.js';
import { addCsvOptions, addSourceOptions, handle, sourceSpec } from '../options.js';
import { warnAboutFailures, withSyncedSource } from '../session.js';
import { checkOutputFile, checkOutputKey } from '../../converters/flags.js';

type ExportFormat = 'csv' | 'parquet';
interface ExportFlags {
  out?: string;
  key?: string;
  format?: ExportFormat;
  allowIncomplete?: boolean;
  allowEmpty?: boolean;
}

/** Where the export goes: a file, one store key, or (no --out, --key or --format) both outputs as the service writes them. */
type Target = { file: string; format: ExportFormat } | { key: string; format: ExportFormat | 'both' };

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description(
      `write every user, unfiltered, to a file or into the store (default: ${DEFAULT_OUTPUT_KEY} and ${DEFAULT_OUTPUT_PARQUET_KEY}, as the service does)`,
    )
    .addOption(new Option('--out <file>', 'write it to this file (replaced whole, never half-written)').conflicts('key'))
    .option('--key <key>', `write it into the store under this key, relative to the source's root (default: ${DEFAULT_OUTPUT_KEY})`)
    .addOption(
      new Option('--format <format>', 'csv or parquet (default: what the name of --out or --key ends in, else csv; without either, both)').choices([
        'csv',
        'parquet',
      ]),
    )
    .option('--allow-incomplete', 'write it even when some user CSVs could not be downloaded')
    .option('--allow-empty', 'write it even when the source has no users and the existing output has some');
  addSourceOptions(addCsvOptions(cmd)).action(
    handle<ExportFlags>(async (flags, command) => {
      const spec = sourceSpec(command);
      const target = targetOf(flags);
      if ('key' in target) checkOutputKey(target.key, spec.prefix);
      else if (spec.kind === 'local') checkOutputFile(target.file, spec.dir);
      await withSyncedSource(spec, flags, async ({ transformer, report, store }) => {
        warnAboutFailures(report, program.name());
        if (!report.complete && !flags.allowIncomplete) {
          throw new RuntimeFailure(
            `${plural(report.missing.length, 'user CSV')} could not be downloaded; nothing was written (--allow-incomplete writes anyway)`,
          );
        }
        const allowEmpty = flags.allowEmpty === true;
        const line = 'file' in target ? await toFile(transformer, report, target, allowEmpty) : await toStore(transformer, store, target, allowEmpty);
        process.stdout.write(`${line}\n`);
      });
    }),
  );
  cmd.addHelpText(
    'after',
    `\nExamples:\n  $ ${program.name()} export --source ./data --out users.csv\n  $ ${program.name()} export --source ./data --format parquet --out users.parquet\n  $ ${program.name()} export --source s3://datalake/source_data/ --endpoint http://localhost:9000 --key processed_data/output.csv`,
  );
}

function targetOf(flags: ExportFlags): Target {
  if (flags.out !== undefined) return { file: flags.out, format: formatFor(flags.out, flags.format, 'csv') };
  if (flags.key !== undefined) return { key: flags.key, format: formatFor(flags.key, flags.format, 'csv') };
  if (flags.format === 'parquet') return { key: DEFAULT_OUTPUT_PARQUET_KEY, format: 'parquet' };
  return { key: DEFAULT_OUTPUT_KEY, format: flags.format ?? 'both' };
}

async function toFile(transformer: UserDataTransformer, report: SyncReport, target: { file: string; format: ExportFormat }, allowEmpty: boolean) {
  if (report.users === 0 && !allowEmpty) await refuseToEmptyFile(target.file, target.format);
  const body = target.format === 'csv' ? Buffer.from(transformer.toCsv()) : asBuffer(await transformer.toParquet());
  await writeFileAtomic(target.file, body).catch((error: unknown) => {
    throw new RuntimeFailure(`cannot write ${target.file}: ${describeError(error)}`, { cause: error });
  });
  return `exported ${plural(report.users, 'user')} (${body.length} bytes) to ${target.file}`;
}

async function toStore(transformer: UserDataTransformer, store: ObjectStore, target: { key: string; format: ExportFormat | 'both' }, allowEmpty: boolean) {
  const users = plural(transformer.table.rows.length, 'user');
  if (target.format === 'parquet') {
    if (transformer.table.rows.length === 0 && !allowEmpty && (await storedOutputHoldsRows(store, target.key, 'parquet'))) throw keptPrevious(target.key);
    const body = asBuffer(await transformer.toParquet());
    await store.put(target.key, body, PARQUET_MEDIA_TYPE);
    return `exported ${users} (${body.length} bytes) to ${target.key} in ${store.name}`;
  }
  const parquetKey = target.format === 'both' ? DEFAULT_OUTPUT_PARQUET_KEY : null;
  const written = await transformer.exportOutput(target.key, { allowEmpty, parquetKey });
  const parquet = written.parquet ? `, and as Parquet (${written.parquet.bytes} bytes) to ${written.parquet.key},` : '';
  return `exported ${users} (${written.bytes} bytes) to ${written.key}${parquet} in ${store.name}`;
}

/** `--out` as `exportOutput` guards a key: no users never replace a file that holds some (`--allow-empty` does). */
async function refuseToEmptyFile(file: string, format: ExportFormat): Promise<void> {
  const size = (await stat(file).catch(() => null))?.size;
  if (size === undefined) return;
  const existing = size > EMPTY_OUTPUT_BYTES_AT_MOST ? null : await readFile(file).catch(() => null);
  if (existing === null || (await outputHoldsRows(existing, format))) throw keptPrevious(file);
}

function keptPrevious(where: string): EmptySourceError {
  return new EmptySourceError(`the source has no users; ${where} still holds the previous users and is kept (--allow-empty writes anyway)`);
}
