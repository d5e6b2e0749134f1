// The library: sync a store into an in-memory table, query it, export it. The HTTP service is a
// separate entry point, `user-data-transformer/service`, built on exactly this API.
export { UserDataTransformer } from './UserDataTransformer.js';
export type {
  UserDataTransformerOptions,
  TransformerSettings,
  QueryOptions,
  ExportOptions,
  FreshnessResult,
  LastSync,
  SyncOptions,
} from './UserDataTransformer.js';
export type { RefreshOptions, RefreshStatus, RefreshObserver } from './sync/refreshOptions.js';
export type { ChangeSummary } from './sync/changes.js';
export { defaultSnapshotKey } from './snapshot/key.js';
export { createNatsChangeLog, type NatsChangeLogOptions } from './changelog/nats.js';
export type { ChangeLog, LogPosition, LogState, FollowHandlers, Follower, SkipKind } from './changelog/types.js';
export { USER_ROW_SCHEMA, DEFAULT_COLUMNS, CSV_COLUMNS, SYNC_REPORT_SCHEMA, SYNC_FAILURE_SCHEMA } from './model.js';
export type { UserRow, BaseColumn, CsvColumn, UserFilters, SyncReport, SyncFailure, SyncProgress } from './model.js';
export * from './defaults.js';
export type { ObjectStore, ObjectInfo, GetOptions, ListOptions, ChangeEvent, WatchHandlers, Watcher } from './storage/ObjectStore.js';
export { createLocalStore, type LocalStoreOptions } from './storage/local/LocalStore.js';
export { createMinioStore, type MinioStoreOptions } from './storage/s3/MinioStore.js';
export { ageInYears, checkTimeZone, utcDateKey } from './query/age.js';
export { validateFilters, isUnfiltered, type FilterNames } from './query/filters.js';
export { naturalCompare } from './query/naturalCompare.js';
export type { UserTable } from './query/table.js';
export { MAX_PAGE_ROWS, type Page, type PageOptions } from './query/page.js';
export { parseUserCsv, type ParseResult, type ParsedUser } from './parse/userCsv.js';
export { encodeCsv, type CsvOptions, type CsvEncoding } from './format/csv.js';
export { rowJson } from './format/json.js';
export { encodeParquet, PARQUET_MEDIA_TYPE, PARQUET_ROW_GROUP_ROWS } from './format/parquet.js';
export type { DataFrame } from './format/dataframe.js';
export {
  UdtError,
  InvalidInputError,
  OptionError,
  StoreUnavailableError,
  IntegrityError,
  ObjectRejectedError,
  MissingPeerError,
  EmptySourceError,
  PartialExportError,
  describeError,
} from './errors.js';
export { EMPTY_OUTPUT_BYTES_AT_MOST, holdsRows, outputHoldsRows, storedOutputHoldsRows, type ExportWritten } from './output.js';
