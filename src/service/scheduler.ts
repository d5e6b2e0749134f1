import cron from 'node-cron';
import type { Logger } from 'pino';

export interface Scheduler {
  stop(): Promise<void>;
}

/**
 * Runs `job` on a cron schedule in UTC. node-cron's `noOverlap` skips a tick while the previous run
 * of this task is still going; a failing run is logged and later ticks still fire.
 */
export function startScheduler(expression: string, job: () => Promise<unknown>, logger: Logger): Scheduler {
  const task = cron.createTask(expression, job, {
    name: 'publish-output',
    timezone: 'UTC',
    noOverlap: true,
    // Route node-cron's own messages into our structured log instead of the console.
    logger: {
      info: (message) => logger.debug({ event: 'cron' }, message),
      warn: (message) => logger.warn({ event: 'cron' }, message),
      // A failed run is logged once, by the execution:failed listener below.
      error: (message, err) => logger.debug({ event: 'cron', err }, String(message)),
      debug: (message) => logger.debug({ event: 'cron' }, String(message)),
    },
  });
  task.on('execution:overlap', () =>
    logger.warn({ event: 'export_skipped', reason: 'overlap' }, 'scheduled export skipped: the previous one is still running'),
  );
  task.on('execution:failed', (ctx) => logger.error({ event: 'scheduled_export_failed', err: ctx.execution?.error }, 'scheduled export failed'));
  Promise.resolve(task.start()).catch((error: unknown) => logger.error({ err: error, event: 'scheduler_failed' }, 'cannot start the schedule'));
  logger.info({ event: 'scheduler_started', expression }, 'export scheduled');
  return {
    async stop() {
      await task.destroy();
    },
  };
}
