import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * JSON lines on stdout; secrets in headers never reach the log. Written synchronously: with pino's
 * default asynchronous writer, the write still in flight when the process exits can land after the
 * lines flushed at exit, so `shutdown` came out after `stopped`. A line is a few hundred bytes, one
 * per request at most, so the synchronous write costs microseconds.
 */
export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'user-data-transformer' },
      redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization'], censor: '[redacted]' },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
