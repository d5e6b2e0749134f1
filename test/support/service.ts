import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/service/logger.js';
import { Exporter } from '../../src/service/exporter.js';
import { createApp, type AppConfig } from '../../src/server.js';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';

export interface RunningService {
  url: string;
  transformer: UserDataTransformer;
  exporter: Exporter;
  close(): Promise<void>;
}

/** The real app on a real socket (port 0), over the given store. */
export async function startService(
  store: ObjectStore,
  options: { sourcePrefix: string; nowMs?: number; outputKey?: string; outputParquetKey?: string | null } & Partial<
    Pick<AppConfig, 'maxStalenessMs' | 'apiKey' | 'corsOrigins'>
  >,
): Promise<RunningService> {
  const logger = createLogger('silent');
  const now = options.nowMs ? () => options.nowMs! : undefined;
  const transformer = new UserDataTransformer({ store, sourcePrefix: options.sourcePrefix, now, outputParquetKey: options.outputParquetKey });
  const exporter = new Exporter(transformer, { outputKey: options.outputKey ?? 'processed_data/output.csv', logger });
  const app = createApp(transformer, {
    maxStalenessMs: options.maxStalenessMs ?? 0,
    apiKey: options.apiKey ?? null,
    corsOrigins: options.corsOrigins,
    exporter,
    logger,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    transformer,
    exporter,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
