import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createLocalStore } from '../storage/LocalStore.js';
import { createMinioStore } from '../storage/MinioStore.js';
import type { ObjectStore } from '../storage/ObjectStore.js';
import { UserDataTransformer } from '../UserDataTransformer.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { Exporter } from './exporter.js';
import { createLogger } from './logger.js';
import { startScheduler, type Scheduler } from './scheduler.js';

/** How long shutdown waits for in-flight requests and a running export before giving up. */
const SHUTDOWN_GRACE_MS = 25_000;

function createStore(config: Config): ObjectStore {
  const s = config.store;
  return s.kind === 's3'
    ? createMinioStore({
        endpoint: s.endpoint,
        accessKey: s.accessKey,
        secretKey: s.secretKey,
        bucket: s.bucket,
        region: s.region,
        maxSockets: config.syncConcurrency,
      })
    : createLocalStore({ root: s.root });
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

interface Running {
  server: Server;
  store: ObjectStore;
  exporter: Exporter;
  scheduler: Scheduler | undefined;
  logger: Logger;
}

/** Stops the schedule, then waits for in-flight requests and a running export before exiting. */
function installShutdown({ server, store, exporter, scheduler, logger }: Running): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'stopping: no new connections, finishing in-flight work');
    const force = setTimeout(() => {
      logger.error({ event: 'shutdown_timeout' }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    await scheduler?.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.all([closed, exporter.idle()]);
    await store.close();
    logger.info({ event: 'stopped' }, 'stopped');
    process.exit(0);
  };
  const stop = (signal: string) =>
    shutdown(signal).catch((error: unknown) => {
      logger.fatal({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function main(): void {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  // Every expected failure is handled where it happens; anything else is logged, not fatal,
  // since the cache and the last good output are still worth serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason, event: 'unhandled_rejection' }, 'unhandled rejection'));
  const store = createStore(config);
  const transformer = new UserDataTransformer({
    store,
    sourcePrefix: config.sourcePrefix,
    concurrency: config.syncConcurrency,
    onSync: ({ failed, ...counts }) => logger.info({ event: 'sync', ...counts, failed: failed.length }, 'synced'),
  });
  const exporter = new Exporter(transformer, { outputKey: config.outputKey, logger });
  const app = createApp(transformer, { maxStalenessMs: config.maxStalenessMs, apiKey: config.apiKey, exporter, logger, version: packageVersion() });

  const server = app.listen(config.port, () => {
    logger.info(
      { event: 'listening', port: config.port, store: store.name, sourcePrefix: config.sourcePrefix },
      `listening on http://localhost:${config.port}`,
    );
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });

  let scheduler: Scheduler | undefined;
  if (config.outputCron) {
    scheduler = startScheduler(config.outputCron, () => exporter.runIfIdle('schedule'), logger);
    // A first export right away, so the output exists without waiting for the first tick.
    exporter.run('boot').catch(() => undefined);
  } else {
    transformer.sync().catch((error: unknown) => logger.warn({ err: error }, 'initial sync failed; reads will retry'));
  }
  installShutdown({ server, store, exporter, scheduler, logger });
}

main();
