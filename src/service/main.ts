import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { UserDataTransformer } from '../UserDataTransformer.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Exporter } from './exporter.js';
import { answerClientErrors } from './edges.js';
import { createLogger } from './logger.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { buildService, startRefreshing } from './wiring.js';

/** How long shutdown waits for in-flight requests and a running export before giving up. */
const SHUTDOWN_GRACE_MS = 25_000;

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
  transformer: UserDataTransformer;
  exporter: Exporter;
  scheduler: Scheduler | undefined;
  logger: Logger;
}

/** Stops the schedule, then waits for in-flight requests and a running export before exiting. */
function installShutdown({ server, transformer, exporter, scheduler, logger }: Running): void {
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
    await transformer.stop();
    await transformer.store.close();
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
  const service = buildService(config, logger);
  const { transformer, exporter, app, store } = service;
  startRefreshing(service, config, logger);

  const server = app.listen(config.port, config.host, () => {
    logger.info(
      { event: 'listening', host: config.host, port: config.port, store: store.name, sourcePrefix: config.sourcePrefix },
      `listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`,
    );
  });
  answerClientErrors(server);
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });

  let scheduler: Scheduler | undefined;
  if (config.outputCron) {
    scheduler = startScheduler(config.outputCron, () => exporter.runIfIdle('schedule'), logger);
    // A first export as soon as the data is loaded, so the output exists without waiting for a tick.
    exporter.run('boot').catch(() => undefined);
  }
  installShutdown({ server, transformer, exporter, scheduler, logger });
}

main();
