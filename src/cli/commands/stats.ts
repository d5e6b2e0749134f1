import type { Command } from 'commander';
import { statsJson, statsSummary } from '../format.js';
import { addFilterOptions, addSourceOptions, handle, sourceSpec } from '../options.js';
import { warnAboutFailures, withSyncedSource } from '../session.js';
import { filtersFrom } from '../../converters/flags.js';

export function registerStats(program: Command): void {
  const cmd = program
    .command('stats')
    .description('average age in completed years and count of the matching users')
    .option('--json', 'print {"average_age":…,"count":…}, exactly as GET /stats answers');
  addSourceOptions(addFilterOptions(cmd)).action(
    handle<{ json?: boolean }>(async (flags, command) => {
      const filters = filtersFrom(flags);
      await withSyncedSource(sourceSpec(command), flags, async ({ transformer, report }) => {
        warnAboutFailures(report, program.name());
        const stats = transformer.averageAge(filters);
        process.stdout.write(flags.json ? statsJson(stats) : statsSummary(stats));
      });
    }),
  );
  cmd.addHelpText('after', `\nExample:\n  $ ${program.name()} stats --source ./data --image --min-age 30 --max-age 40 --json`);
}
