import { Option, type Command } from 'commander';
import { DEFAULT_CONCURRENCY, DEFAULT_REGION, InvalidInputError } from '../index.js';
import { UsageError } from './errors.js';
import type { SessionOptions } from './session.js';
import { parseSource, type SourceFlags, type SourceSpec } from './source.js';
import { wholeNumber, type FilterFlags } from '../converters/flags.js';

/** The highest `--concurrency`, as for the service's SYNC_CONCURRENCY. */
const MAX_CONCURRENCY = 256;

export type SourceCommandFlags = SourceFlags & SessionOptions;

/** `--source` and what an S3 source needs, `--concurrency` and the progress switches. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--source <dir|s3-url>', 'the folder that holds the user files, or s3://BUCKET/PREFIX/')
    .addOption(new Option('--endpoint <url>', 'S3 endpoint of an s3:// source, e.g. http://localhost:9000').env('MINIO_ENDPOINT'))
    .addOption(new Option('--access-key <key>', 'S3 access key').env('MINIO_ACCESS_KEY'))
    .addOption(new Option('--secret-key <key>', 'S3 secret key (prefer the environment: flags show up in process lists)').env('MINIO_SECRET_KEY'))
    .addOption(new Option('--region <region>', 'S3 region').env('MINIO_REGION').default(DEFAULT_REGION))
    .addOption(new Option('--concurrency <n>', 'parallel downloads').argParser(wholeNumber(1, MAX_CONCURRENCY)).default(DEFAULT_CONCURRENCY))
    .option('--progress', 'progress on stderr even when it is not a terminal (plain lines, for logs)')
    .option('--no-progress', 'no progress, not even on a terminal');
}

/** `--no-escape-formulas`, for the commands that write CSV. */
export function addCsvOptions(cmd: Command): Command {
  return cmd.option('--no-escape-formulas', "write text cells that look like spreadsheet formulas as they are (default: prefixed with ')");
}

/** `--image`, `--no-image`, `--min-age`, `--max-age`. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--image', 'only users with an image')
    .option('--no-image', 'only users without an image')
    .option('--min-age <years>', 'minimum age in completed years, inclusive', wholeNumber(0))
    .option('--max-age <years>', 'maximum age in completed years, inclusive', wholeNumber(0));
}

/** The source the command's flags name; usage errors say which flag is wrong or missing. */
export function sourceSpec(cmd: Command): SourceSpec {
  return parseSource(cmd.opts<SourceFlags>(), cmd.getOptionValueSource('endpoint') === 'cli');
}

export type Flags<T> = T & SourceCommandFlags & FilterFlags;

/**
 * Wraps a command's action: a `UsageError`, or the library refusing an input (an unknown column),
 * becomes commander's usage error with exit code 2; anything else propagates as a runtime failure.
 */
export function handle<T>(run: (flags: Flags<T>, cmd: Command) => Promise<void>): (flags: Flags<T>, cmd: Command) => Promise<void> {
  return async (flags, cmd) => {
    try {
      await run({ ...flags, programName: cmd.parent?.name() }, cmd);
    } catch (error) {
      if (error instanceof UsageError || error instanceof InvalidInputError) cmd.error(`error: ${error.message}`, { exitCode: 2, code: 'udt.usage' });
      throw error;
    }
  };
}
