// The library: sync a store into an in-memory table, query it, export it. The HTTP service is a
// separate entry point, `user-data-transformer/service`.
export { UserDataTransformer } from './UserDataTransformer.js';
export type { UserDataTransformerOptions, QueryOptions, FreshnessResult, LastSync } from './UserDataTransformer.js';
export { DEFAULT_COLUMNS, SYNC_REPORT_SCHEMA, SYNC_FAILURE_SCHEMA } from './model.js';
export type { UserRow, UserFilters, SyncReport, SyncFailure, SyncProgress } from './model.js';
export { DEFAULT_CONCURRENCY, DEFAULT_IMAGE_EXTENSIONS, DEFAULT_OUTPUT_KEY, DEFAULT_REGION, DEFAULT_SOURCE_PREFIX } from './defaults.js';
export { DEFAULT_REQUEST_TIMEOUT_MS } from './defaults.js';
export type { ObjectStore, ObjectInfo, GetOptions, ListOptions } from './storage/ObjectStore.js';
export { createLocalStore, type LocalStoreOptions } from './storage/LocalStore.js';
export { createMinioStore, type MinioStoreOptions } from './storage/MinioStore.js';
export { ageInYears, utcDateKey } from './query/age.js';
export { validateFilters } from './query/filters.js';
export { naturalCompare } from './query/naturalCompare.js';
export type { UserTable } from './query/table.js';
export { MAX_PAGE_ROWS, type Page, type PageOptions } from './query/page.js';
export { parseUserCsv, type ParseResult, type ParsedUser } from './parse/userCsv.js';
export type { CsvOptions } from './format/csv.js';
export type { DataFrame } from './format/dataframe.js';
export { UdtError, InvalidInputError, OptionError, StoreUnavailableError, IntegrityError, ObjectRejectedError, MissingPeerError } from './errors.js';
