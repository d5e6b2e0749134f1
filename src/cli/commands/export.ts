import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { DEFAULT_OUTPUT_KEY, describeError, EmptySourceError, holdsRows } from '../../index.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RuntimeFailure } from '../errors.js';
import { plural } from '../format.js';
import { addCsvOptions, addSourceOptions, handle, sourceSpec } from '../options.js';
import { warnAboutFailures, withSyncedSource } from '../session.js';
import { checkOutputFile, checkOutputKey } from '../../converters/flags.js';

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description(`write the output CSV (every user, unfiltered) to a file, or into the store (default: ${DEFAULT_OUTPUT_KEY})`)
    .addOption(new Option('--out <file>', 'write it to this file (replaced whole, never half-written)').conflicts('key'))
    .option('--key <key>', `write it into the store under this key, relative to the source's root (default: ${DEFAULT_OUTPUT_KEY})`)
    .option('--allow-incomplete', 'write it even when some user CSVs could not be downloaded')
    .option('--allow-empty', 'write it even when the source has no users and the existing output has some');
  addSourceOptions(addCsvOptions(cmd)).action(
    handle<{ out?: string; key?: string; allowIncomplete?: boolean; allowEmpty?: boolean }>(async (flags, command) => {
      const spec = sourceSpec(command);
      const key = flags.out === undefined ? checkOutputKey(flags.key ?? DEFAULT_OUTPUT_KEY, spec.prefix) : undefined;
      if (flags.out !== undefined && spec.kind === 'local') checkOutputFile(flags.out, spec.dir);
      await withSyncedSource(spec, flags, async ({ transformer, report, store }) => {
        warnAboutFailures(report, program.name());
        if (!report.complete && !flags.allowIncomplete) {
          throw new RuntimeFailure(
            `${plural(report.missing.length, 'user CSV')} could not be downloaded; nothing was written (--allow-incomplete writes anyway)`,
          );
        }
        if (key === undefined) {
          if (report.users === 0 && !flags.allowEmpty) await refuseToEmptyFile(flags.out!);
          const body = Buffer.from(transformer.toCsv());
          await writeFileAtomic(flags.out!, body).catch((error: unknown) => {
            throw new RuntimeFailure(`cannot write ${flags.out}: ${describeError(error)}`, { cause: error });
          });
          process.stdout.write(`exported ${plural(report.users, 'user')} (${body.length} bytes) to ${flags.out}\n`);
        } else {
          const written = await transformer.exportOutput(key, { allowEmpty: flags.allowEmpty });
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

/** `--out` as `exportOutput` guards a key: no users never replace a file that holds some (`--allow-empty` does). */
async function refuseToEmptyFile(file: string): Promise<void> {
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing !== null && holdsRows(existing)) {
    throw new EmptySourceError(`the source has no users; ${file} still holds the previous users and is kept (--allow-empty writes anyway)`);
  }
}
