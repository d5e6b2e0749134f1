import { createServer, type Server } from 'node:http';
import type express from 'express';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { answerClientErrors } from './edges.js';

/** Whether an address is this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function readConfig(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** Listens, and says so only once it does; a failure to listen is fatal, in one line. */
export function listen(app: express.Express, config: Config, logger: Logger): Promise<Server> {
  const server = createServer(app);
  answerClientErrors(server);
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      logger.fatal(
        { event: 'listen_failed', code: error.code, host: config.host, port: config.port },
        `cannot listen on ${config.host}:${config.port}: ${error.message}`,
      );
      process.exit(1);
    });
    server.listen(config.port, config.host, () => {
      const { port } = server.address() as { port: number };
      const shown = config.host === '0.0.0.0' ? 'localhost' : config.host;
      logger.info({ event: 'listening', host: config.host, port, sourcePrefix: config.sourcePrefix }, `listening on http://${shown}:${port}`);
      resolve(server);
    });
  });
}
