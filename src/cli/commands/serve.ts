import type { Command } from 'commander';
import { startServer } from '../../server.js';
import { ENV_VARIABLES } from '../../service/config.js';
import { localSource, type SourceSpec } from '../source.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP service, configured by environment variables exactly as npm start is')
    .option('--source <dir>', 'serve this folder of user files (sets LOCAL_ROOT to the folder that holds it and SOURCE_PREFIX to its name)')
    .addHelpText(
      'after',
      `\nEnvironment (see docs/configuration.md): ${ENV_VARIABLES.join(', ')}.` +
        `\nWithout MINIO_ENDPOINT it serves LOCAL_ROOT (default: the current folder) with the user files in SOURCE_PREFIX (default: data/).` +
        `\n\nExamples:\n  $ ${program.name()} serve --source ./data\n  $ PORT=8080 LOCAL_ROOT=/srv/app ${program.name()} serve`,
    )
    .action(async (flags: { source?: string }, cmd: Command) => {
      const env = { ...process.env };
      if (flags.source !== undefined) {
        if (env.MINIO_ENDPOINT) {
          cmd.error('error: --source serves a folder; unset MINIO_ENDPOINT to serve one (or set SOURCE_PREFIX for the bucket)', {
            exitCode: 2,
            code: 'udt.usage',
          });
        }
        const spec = localSource(flags.source) as Extract<SourceSpec, { kind: 'local' }>;
        env.LOCAL_ROOT = spec.root;
        env.SOURCE_PREFIX = spec.prefix;
      }
      // It reads the environment, listens, schedules exports and handles SIGTERM/SIGINT, so the
      // process lives until the service stops.
      await startServer(env);
    });
}
