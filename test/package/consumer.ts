// A consumer's program, compiled with the consumer's own strict settings against the packed
// package: it must typecheck with no help from this repository and run on a plain folder.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  MissingPeerError,
  UserDataTransformer,
  createLocalStore,
  encodeParquet,
  type RefreshObserver,
  type RefreshStatus,
  type SyncReport,
  type UserRow,
  type WatchHandlers,
} from 'user-data-transformer';
import { buildOpenApiDocument, type ExportResult } from 'user-data-transformer/service';
import { describeStoreContract, type TestApi } from 'user-data-transformer/store-contract';

const root = process.argv[2];
if (!root) throw new Error('usage: node consumer.js ROOT');

const transformer = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: 'data/' });
const report: SyncReport = await transformer.sync();
const rows: UserRow[] = transformer.rows({ imageExists: true });
const stats = transformer.averageAge({ minAge: 30 });
const csv = transformer.toCsv({ maxAge: 40 });
const firstIds = transformer.query({ columns: ['user_id'] }).slice(0, 2);
// Parquet in place (a few rows) and on the writer's thread (more than 10,000), from the installed package.
const out = await mkdtemp(path.join(tmpdir(), 'udt-consumer-out-'));
const parquetFile = path.join(out, 'small.parquet');
const bigParquetFile = path.join(out, 'big.parquet');
await writeFile(parquetFile, await transformer.toParquet({ minAge: 30 }));
const many: UserRow[] = Array.from({ length: 12_345 }, (_, i) => ({
  user_id: String(i),
  first_name: 'Ann',
  last_name: 'Lee',
  birthts: i,
  img_path: null,
  extra: {},
}));
await writeFile(bigParquetFile, await encodeParquet(many));

let aggregate: { ok: true; rows: number; columns: string[] } | { ok: false; code: string; dependency: string; message: string };
try {
  const df = transformer.aggregate({ minAge: 30 });
  aggregate = { ok: true, rows: df.shape[0] ?? -1, columns: df.columns };
} catch (error) {
  if (!(error instanceof MissingPeerError)) throw error;
  aggregate = { ok: false, code: error.code, dependency: error.dependency, message: error.message };
}

// The types of public signatures are importable by name.
const observer: RefreshObserver = { syncFailed: () => undefined };
const status: RefreshStatus = transformer.status;
const handlers: WatchHandlers = { onChange: () => undefined, onError: () => undefined };
// The store contract registers its cases with whatever runner it is given.
const cases: string[] = [];
const recorder: TestApi = {
  describe: (_name, body) => body(),
  it: (name) => cases.push(name),
  beforeAll: () => undefined,
  afterAll: () => undefined,
};
describeStoreContract(recorder, 'consumer store', async () => ({ store: createLocalStore({ root }), cleanup: async () => undefined }));

const exportShape: Pick<ExportResult, 'users'> = { users: report.users };
const openapi = buildOpenApiDocument('consumer') as { paths: Record<string, unknown> };

console.log(
  JSON.stringify({
    users: report.users,
    failed: report.failed.length,
    withImage: rows.length,
    stats,
    csvLines: csv.trimEnd().split('\n').length,
    firstIds,
    parquet: { file: parquetFile, rows: transformer.rows({ minAge: 30 }).length, bigFile: bigParquetFile },
    aggregate,
    exportShape,
    paths: Object.keys(openapi.paths),
    contractCases: cases.length,
    typed: [typeof observer.syncFailed, status.loaded, typeof handlers.onChange],
  }),
);
