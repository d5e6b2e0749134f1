import {
  DEFAULT_CONCURRENCY,
  DEFAULT_ESCAPE_FORMULAS,
  DEFAULT_MAX_AGE_YEARS,
  DEFAULT_IMAGE_EXTENSIONS,
  DEFAULT_MAX_CSV_BYTES,
  DEFAULT_OUTPUT_KEY,
  DEFAULT_SOURCE_PREFIX,
  DEFAULT_SYNC_TIMEOUT_MS,
  DEFAULT_TIME_ZONE,
  parquetKeyBeside,
} from './defaults.js';
import { OptionError, requiredOption } from './errors.js';
import type { SyncReport } from './model.js';
import { checkTimeZone, dateKeyIn, type DateKeyFn } from './query/age.js';
import type { ObjectStore } from './storage/ObjectStore.js';

export interface UserDataTransformerOptions {
  /** Where user files live and the output goes. Required. */
  store: ObjectStore;
  /** Key prefix of the user files, e.g. `source_data/`. Default `source_data/`. */
  sourcePrefix?: string;
  /** Image file extensions, without the dot, matched case-insensitively. Default `png`, `jpg`, `jpeg`. */
  imageExtensions?: readonly string[];
  /** Parallel CSV downloads during a sync. Default 16. */
  concurrency?: number;
  /** Clock in ms since the epoch; ages and birth-date checks use it. Default `Date.now`. */
  now?: () => number;
  /**
   * IANA time zone in which birth dates and today are taken as calendar dates for ages, with the
   * zone's historical offsets. Default `UTC`.
   */
  timeZone?: string;
  /** Largest user CSV accepted, in bytes; a larger one is refused from its listed size, never downloaded. Default 1 MiB. */
  maxCsvBytes?: number;
  /** How far back a birth date may lie, in years. Default 150. */
  maxAgeYears?: number;
  /** A sync still running after this many ms is cancelled. Default 120 000. */
  syncTimeoutMs?: number;
  /** Neutralise spreadsheet formulas in CSV text cells (see `CsvOptions.escapeFormulas`). Default `true`. */
  escapeFormulas?: boolean;
  /** Key `exportOutput()` writes when given none. Default `processed_data/output.csv`. */
  outputKey?: string;
  /**
   * Key of the Parquet file `exportOutput()` writes beside the CSV when given no key; `null`: no
   * Parquet. Default: `outputKey` with `.parquet` for `.csv` (`processed_data/output.parquet`).
   */
  outputParquetKey?: string | null;
  /** Called after every successful sync with its report, e.g. to log it. Default: nothing. */
  onSync?: (report: SyncReport) => void;
  /** Called after every failed sync, whoever started it. Default: nothing. */
  onSyncFailed?: (error: unknown) => void;
}

/** The options as a transformer uses them: every default applied (its public `options`). */
export type TransformerSettings = Readonly<Required<UserDataTransformerOptions>>;

/** The settings plus what the modules below the facade derive from them once. Internal. */
export interface ResolvedOptions extends TransformerSettings {
  readonly imageExtensionSet: ReadonlySet<string>;
  readonly dateKey: DateKeyFn;
}

/** Every default applied in one place, and every option checked with a message that names it. */
export function resolveOptions(options: UserDataTransformerOptions): ResolvedOptions {
  if (!options?.store) throw requiredOption('UserDataTransformer', 'store');
  const o = {
    store: options.store,
    sourcePrefix: options.sourcePrefix ?? DEFAULT_SOURCE_PREFIX,
    imageExtensions: options.imageExtensions ?? DEFAULT_IMAGE_EXTENSIONS,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    now: options.now ?? Date.now,
    timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
    maxCsvBytes: options.maxCsvBytes ?? DEFAULT_MAX_CSV_BYTES,
    maxAgeYears: options.maxAgeYears ?? DEFAULT_MAX_AGE_YEARS,
    syncTimeoutMs: options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
    escapeFormulas: options.escapeFormulas ?? DEFAULT_ESCAPE_FORMULAS,
    outputKey: options.outputKey ?? DEFAULT_OUTPUT_KEY,
    outputParquetKey: options.outputParquetKey === undefined ? parquetKeyBeside(options.outputKey ?? DEFAULT_OUTPUT_KEY) : options.outputParquetKey,
    onSync: options.onSync ?? (() => undefined),
    onSyncFailed: options.onSyncFailed ?? (() => undefined),
  };
  for (const name of ['concurrency', 'maxCsvBytes', 'maxAgeYears', 'syncTimeoutMs'] as const) {
    const value = o[name];
    if (!Number.isSafeInteger(value) || value < 1) throw new OptionError(`UserDataTransformer: ${name} must be a positive integer, got ${String(value)}`);
  }
  if (o.outputParquetKey === o.outputKey)
    throw new OptionError('UserDataTransformer: outputParquetKey must differ from outputKey: each export would replace the other');
  let timeZone: string;
  try {
    timeZone = checkTimeZone(o.timeZone);
  } catch {
    throw new OptionError(`UserDataTransformer: timeZone must be an IANA time zone such as Europe/Moscow, got ${JSON.stringify(o.timeZone)}`);
  }
  return {
    ...o,
    timeZone,
    imageExtensionSet: new Set(o.imageExtensions.map((e) => e.replace(/^\./, '').toLowerCase())),
    dateKey: dateKeyIn(timeZone),
  };
}
