import { describeError, UserDataTransformer, type ObjectStore, type SyncReport } from '../index.js';
import { RuntimeFailure } from './errors.js';
import { createReporter, progressMode } from './progress.js';
import path from 'node:path';
import { foldersWithUserFiles } from './nearby.js';
import { printable } from './printable.js';
import { describeSource, openStore, type SourceSpec } from './source.js';

export interface Synced {
  transformer: UserDataTransformer;
  report: SyncReport;
  store: ObjectStore;
}

export interface SessionOptions {
  concurrency: number;
  /** `--progress` / `--no-progress`, or `undefined` for neither. */
  progress: boolean | undefined;
  /** `--no-escape-formulas` makes this `false` (CSV commands only; `true` otherwise). */
  escapeFormulas?: boolean;
  /** The name the tool was started by, for the warnings on stderr. */
  programName?: string;
}

/**
 * Opens the source, syncs it with progress on stderr, hands the loaded transformer to `use` and
 * closes the store whatever happens, so no socket keeps the process alive.
 */
export async function withSyncedSource<T>(spec: SourceSpec, options: SessionOptions, use: (synced: Synced) => Promise<T>): Promise<T> {
  const store = openStore(spec, options.concurrency);
  try {
    const transformer = new UserDataTransformer({ store, sourcePrefix: spec.prefix, concurrency: options.concurrency, escapeFormulas: options.escapeFormulas });
    const reporter = createReporter(progressMode(options.progress, process.stderr.isTTY === true), process.stderr);
    let report: SyncReport | undefined;
    try {
      report = await transformer.sync({ onProgress: (p) => reporter.update(p) });
    } catch (error) {
      throw new RuntimeFailure(`sync failed: ${describeError(error)}`, { cause: error });
    } finally {
      reporter.finish(report);
    }
    await warnIfEmpty(report, spec, options.programName ?? 'udt');
    return await use({ transformer, report, store });
  } finally {
    await store.close();
  }
}

/**
 * A source with no user files is answered (empty), and said out loud on stderr, with where user
 * files are nearby when a folder right below the source has some.
 */
async function warnIfEmpty(report: SyncReport, spec: SourceSpec, programName: string): Promise<void> {
  if (report.users > 0 || report.failed.length > 0) return;
  const where = spec.kind === 'local' ? spec.dir : describeSource(spec);
  let hint = '';
  if (spec.kind === 'local') {
    const [best] = await foldersWithUserFiles(spec.dir);
    if (best) {
      const shown = path.relative(process.cwd(), best.dir) || '.';
      hint = `; ${best.csvs} in ${printable(shown)}: did you mean --source ${printable(shown)}?`;
    }
  }
  process.stderr.write(`${programName}: warning: 0 user files in ${printable(where)}${hint}\n`);
}

/** For commands whose stdout is data: a word on stderr when some files could not be used. */
export function warnAboutFailures(report: SyncReport, programName: string): void {
  const n = report.failed.length;
  if (!report.complete) {
    const m = report.missing.length;
    process.stderr.write(
      `${programName}: warning: ${m} user CSV${m === 1 ? '' : 's'} could not be downloaded; the answer lacks ${m === 1 ? 'that user' : 'those users'}\n`,
    );
  }
  if (n === 0) return;
  process.stderr.write(
    `${programName}: warning: ${n} file${n === 1 ? '' : 's'} could not be used and ${n === 1 ? 'is' : 'are'} left out; '${programName} sync' lists them\n`,
  );
}
