import { packageVersion } from '../util/packageVersion.js';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { describeError } from '../index.js';
import { redactUrl } from '../util/redact.js';
import { printable } from './printable.js';
import { registerExport } from './commands/export.js';
import { registerQuery } from './commands/query.js';
import { registerServe } from './commands/serve.js';
import { registerStats } from './commands/stats.js';
import { registerSync } from './commands/sync.js';

/** Exit codes: success, a runtime failure (store down, unreadable folder), a usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const NAMES = ['udt', 'user-data-transformer'];

/** The tool under the name it was started by (`udt` or `user-data-transformer`), with every command. */
export function createProgram(invokedAs: string | undefined): Command {
  const base = path.basename(invokedAs ?? '');
  const program = new Command(NAMES.includes(base) ? base : 'udt')
    .description('Sync per-user CSV and image files from a folder or an S3 bucket and query, export or serve them.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for the command')
    // Settings set before the commands are added are inherited by them.
    .exitOverride()
    .showHelpAfterError(true);
  registerSync(program);
  registerStats(program);
  registerQuery(program);
  registerExport(program);
  registerServe(program);
  program.addHelpText('after', `\nExit codes: ${EXIT_OK} success, ${EXIT_FAILURE} runtime failure, ${EXIT_USAGE} usage error.`);
  return program;
}

/**
 * Runs the command line and returns the exit code. Commander's own exits (help, version, usage
 * errors) arrive as `CommanderError`s; any other error is a runtime failure, told in one line.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram(argv[1]);
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    process.stderr.write(`${program.name()}: ${printable(redactUrl(describeError(error).replace(/\s*\n\s*/g, ' ')))}\n`);
    return EXIT_FAILURE;
  }
}
