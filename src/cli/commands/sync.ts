import type { Command } from 'commander';
import { RuntimeFailure } from '../errors.js';
import { plural, syncSummary } from '../format.js';
import { addSourceOptions, handle, sourceSpec } from '../options.js';
import { withSyncedSource } from '../session.js';
import { describeSource } from '../source.js';

export function registerSync(program: Command): void {
  const cmd = program
    .command('sync')
    .description('read the source once and report what the sync found, failed files with their reasons')
    .option('--json', 'print the full sync report as JSON');
  addSourceOptions(cmd).action(
    handle<{ json?: boolean }>(async (flags, command) => {
      const spec = sourceSpec(command);
      await withSyncedSource(spec, flags, async ({ report }) => {
        process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : syncSummary(report, describeSource(spec)));
        // Files that cannot be used are data problems; files that could not be downloaded are the store's.
        if (!report.complete) throw new RuntimeFailure(`the sync is incomplete: ${plural(report.missing.length, 'user CSV')} could not be downloaded`);
      });
    }),
  );
  cmd.addHelpText(
    'after',
    `\nExample:\n  $ ${program.name()} sync --source ./data\n  $ ${program.name()} sync --source s3://datalake/source_data/ --endpoint http://localhost:9000 --json`,
  );
}
