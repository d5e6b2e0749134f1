import { InvalidArgumentError, Option, type Command } from 'commander';
import { describeError, type QueryOptions, type UserDataTransformer } from '../../index.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { formatFor } from '../fileFormat.js';
import { toNdjson } from '../format.js';
import { addCsvOptions, addFilterOptions, addSourceOptions, handle, sourceSpec } from '../options.js';
import { warnAboutFailures, withSyncedSource } from '../session.js';
import { checkOutputFile, filtersFrom } from '../../converters/flags.js';

type Format = 'csv' | 'json' | 'ndjson' | 'parquet';

function columnList(value: string): string[] {
  const columns = value.split(',').map((c) => c.trim());
  if (columns.some((c) => c === '')) throw new InvalidArgumentError('must be column names separated by commas, such as user_id,first_name.');
  return columns;
}

export function registerQuery(program: Command): void {
  const cmd = program
    .command('query')
    .description('write the matching users, sorted by user_id, to stdout or a file')
    .addOption(
      new Option('--format <format>', 'output format (default: what the name of --out ends in, else csv)').choices(['csv', 'json', 'ndjson', 'parquet']),
    )
    .option('--columns <list>', 'comma-separated columns, e.g. user_id,first_name (default: user_id,first_name,last_name,birthts,img_path)', columnList)
    .option('--out <file>', 'write to this file instead of stdout (replaced whole, never half-written)');
  addSourceOptions(addCsvOptions(addFilterOptions(cmd))).action(
    handle<{ format?: Format; columns?: string[]; out?: string }>(async (flags, command) => {
      const filters = filtersFrom(flags);
      const spec = sourceSpec(command);
      const format = flags.out === undefined ? flags.format : formatFor(flags.out, flags.format, 'csv');
      if (flags.out !== undefined && spec.kind === 'local') checkOutputFile(flags.out, spec.dir);
      // Binary bytes on a terminal are garbage at best and escape sequences at worst.
      if (format === 'parquet' && flags.out === undefined && process.stdout.isTTY === true) {
        throw new UsageError('Parquet is binary and stdout is a terminal: give --out FILE, or redirect stdout to a file');
      }
      await withSyncedSource(spec, flags, async ({ transformer, report }) => {
        warnAboutFailures(report, program.name());
        const body = await encode(transformer, format ?? 'csv', { ...filters, columns: flags.columns });
        if (flags.out === undefined) {
          process.stdout.write(body);
          return;
        }
        await writeFileAtomic(flags.out, body).catch((error: unknown) => {
          throw new RuntimeFailure(`cannot write ${flags.out}: ${describeError(error)}`, { cause: error });
        });
      });
    }),
  );
  cmd.addHelpText(
    'after',
    `\nExamples:\n  $ ${program.name()} query --source ./data --no-image --max-age 30\n  $ ${program.name()} query --source ./data --format ndjson --columns user_id,first_name\n  $ ${program.name()} query --source ./data --min-age 18 --format parquet --out adults.parquet`,
  );
}

async function encode(transformer: UserDataTransformer, format: Format, options: QueryOptions): Promise<string | Buffer> {
  switch (format) {
    case 'csv':
      return transformer.toCsv(options);
    case 'json':
      return `${transformer.toJson(options)}\n`;
    case 'ndjson':
      return toNdjson(transformer.query(options));
    case 'parquet':
      return Buffer.from(await transformer.toParquet(options));
  }
}
