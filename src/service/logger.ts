import { pino, type Logger, type LevelWithSilent } from 'pino';

/** JSON lines on stdout; secrets in headers never reach the log. */
export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { service: 'user-data-transformer' },
    redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
