import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { UserDataTransformer } from '../index.js';
import type { Exporter } from './exporter.js';
import type { Scheduler } from './scheduler.js';

/** How long shutdown waits for in-flight requests and a running export before giving up. */
const SHUTDOWN_GRACE_MS = 25_000;

export interface Running {
  server: Server;
  transformer: UserDataTransformer;
  exporter: Exporter;
  scheduler: Scheduler | undefined;
  logger: Logger;
}

/** On SIGTERM/SIGINT: stops the schedule, then waits for in-flight requests and a running export before exiting. */
export function installShutdown({ server, transformer, exporter, scheduler, logger }: Running): void {
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
