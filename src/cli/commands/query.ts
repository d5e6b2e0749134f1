import { InvalidArgumentError, Option, type Command } from 'commander';
import { toNdjson } from '../format.js';
import { addCsvOptions, addFilterOptions, addSourceOptions, handle, sourceSpec } from '../options.js';
import { warnAboutFailures, withSyncedSource } from '../session.js';
import { filtersFrom } from '../../converters/flags.js';

type Format = 'csv' | 'json' | 'ndjson';

function columnList(value: string): string[] {
  const columns = value.split(',').map((c) => c.trim());
  if (columns.some((c) => c === '')) throw new InvalidArgumentError('must be column names separated by commas, such as user_id,first_name.');
  return columns;
}

export function registerQuery(program: Command): void {
  const cmd = program
    .command('query')
    .description('write the matching users to stdout, sorted by user_id')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json', 'ndjson']).default('csv'))
    .option('--columns <list>', 'comma-separated columns, e.g. user_id,first_name (default: user_id,first_name,last_name,birthts,img_path)', columnList);
  addSourceOptions(addCsvOptions(addFilterOptions(cmd))).action(
    handle<{ format: Format; columns?: string[] }>(async (flags, command) => {
      const filters = filtersFrom(flags);
      await withSyncedSource(sourceSpec(command), flags, async ({ transformer, report }) => {
        warnAboutFailures(report, program.name());
        const options = { ...filters, columns: flags.columns };
        const body =
          flags.format === 'csv'
            ? transformer.toCsv(options)
            : flags.format === 'json'
              ? `${transformer.toJson(options)}\n`
              : toNdjson(transformer.query(options));
        process.stdout.write(body);
      });
    }),
  );
  cmd.addHelpText(
    'after',
    `\nExamples:\n  $ ${program.name()} query --source ./data --no-image --max-age 30\n  $ ${program.name()} query --source ./data --format ndjson --columns user_id,first_name`,
  );
}
