import { Option, type Command } from 'commander';
import { DEFAULT_OUTPUT_KEY, describeError } from '../../index.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RuntimeFailure } from '../errors.js';
import { plural } from '../format.js';
import { addCsvOptions, addSourceOptions, handle, sourceSpec } from '../options.js';
import { warnAboutFailures, withSyncedSource } from '../session.js';
import { checkOutputKey } from '../../converters/flags.js';

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description(`write the output CSV (every user, unfiltered) to a file, or into the store (default: ${DEFAULT_OUTPUT_KEY})`)
    .addOption(new Option('--out <file>', 'write it to this file (replaced whole, never half-written)').conflicts('key'))
    .option('--key <key>', `write it into the store under this key, relative to the source's root (default: ${DEFAULT_OUTPUT_KEY})`)
    .option('--allow-incomplete', 'write it even when some user CSVs could not be downloaded');
  addSourceOptions(addCsvOptions(cmd)).action(
    handle<{ out?: string; key?: string; allowIncomplete?: boolean }>(async (flags, command) => {
      const spec = sourceSpec(command);
      const key = flags.out === undefined ? checkOutputKey(flags.key ?? DEFAULT_OUTPUT_KEY, spec.prefix) : undefined;
      await withSyncedSource(spec, flags, async ({ transformer, report, store }) => {
        warnAboutFailures(report, program.name());
        if (!report.complete && !flags.allowIncomplete) {
          throw new RuntimeFailure(
            `${plural(report.missing.length, 'user CSV')} could not be downloaded; nothing was written (--allow-incomplete writes anyway)`,
          );
        }
        if (key === undefined) {
          const body = Buffer.from(transformer.toCsv());
          await writeFileAtomic(flags.out!, body).catch((error: unknown) => {
            throw new RuntimeFailure(`cannot write ${flags.out}: ${describeError(error)}`, { cause: error });
          });
          process.stdout.write(`exported ${plural(report.users, 'user')} (${body.length} bytes) to ${flags.out}\n`);
        } else {
          const written = await transformer.exportOutput(key);
          process.stdout.write(`exported ${plural(written.users, 'user')} (${written.bytes} bytes) to ${key} in ${store.name}\n`);
        }
      });
    }),
  );
  cmd.addHelpText(
    'after',
    `\nExamples:\n  $ ${program.name()} export --source ./data --out users.csv\n  $ ${program.name()} export --source s3://datalake/source_data/ --endpoint http://localhost:9000 --key processed_data/output.csv`,
  );
}
