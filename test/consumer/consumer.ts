// A consumer's program, compiled with the consumer's own strict settings against the packed
// package: it must typecheck with no help from this repository and run on a plain folder.
import { MissingPeerError, UserDataTransformer, createLocalStore, type SyncReport, type UserRow } from 'user-data-transformer';
import { buildOpenApiDocument, type ExportResult } from 'user-data-transformer/service';

const root = process.argv[2];
if (!root) throw new Error('usage: node consumer.js ROOT');

const transformer = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: 'data/' });
const report: SyncReport = await transformer.sync();
const rows: UserRow[] = transformer.rows({ imageExists: true });
const stats = transformer.averageAge({ minAge: 30 });
const csv = transformer.toCsv({ maxAge: 40 });
const firstIds = transformer.query({ columns: ['user_id'] }).slice(0, 2);

let aggregate: { ok: true; rows: number; columns: string[] } | { ok: false; code: string; dependency: string; message: string };
try {
  const df = transformer.aggregate({ minAge: 30 });
  aggregate = { ok: true, rows: df.shape[0] ?? -1, columns: df.columns };
} catch (error) {
  if (!(error instanceof MissingPeerError)) throw error;
  aggregate = { ok: false, code: error.code, dependency: error.dependency, message: error.message };
}

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
    aggregate,
    exportShape,
    paths: Object.keys(openapi.paths),
  }),
);
