import type { Command } from 'commander';
import { ENV_VARIABLES } from '../../service/config.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP service, configured by environment variables exactly as npm start is')
    .addHelpText(
      'after',
      `\nEnvironment (see the README's Configuration section): ${ENV_VARIABLES.join(', ')}.` +
        `\nWithout MINIO_ENDPOINT it serves LOCAL_ROOT (default: the current folder) with the user files in SOURCE_PREFIX (default: data/).` +
        `\n\nExample:\n  $ PORT=8080 LOCAL_ROOT=/srv/app ${program.name()} serve`,
    )
    .action(async () => {
      // The service's own entry point: it reads process.env, listens, schedules exports and
      // handles SIGTERM/SIGINT, so the process lives until the service stops.
      await import('../../service/main.js');
    });
}
