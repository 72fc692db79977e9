import { type DataSource, type QueryRunner } from 'typeorm';
import { namedLogger } from '../platform/logging/logger.js';
import { errorMessage } from '../platform/messaging/errors.js';

/**
 * Runs `fn` while holding the session advisory lock `key` on a pooled connection of the ledger's
 * data source (handed to `fn` as `session`), or returns `{ locked: false }` at once when another
 * session holds it. Instances of the service take turns this way; a killed process loses the lock
 * with its session.
 */
export async function withSessionLock<T>(
  dataSource: DataSource,
  key: number,
  fn: (session: QueryRunner) => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  const runner = dataSource.createQueryRunner();
  try {
    const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [key])) as Array<{
      locked: boolean;
    }>;
    if (rows[0]?.locked !== true) return { locked: false };
    try {
      return { locked: true, value: await fn(runner) };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * A timer that runs an async task every `intervalMs`, never overlapping itself (the next run is
 * scheduled when the previous one finished); failures are logged and the next tick retries.
 */
export class PeriodicTask {
  private readonly logger = namedLogger('PeriodicTask');
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.task()
        .then(
          () => undefined,
          (err: unknown) => {
            this.onError(err);
            this.logger.warn({ task: this.name, err: errorMessage(err) }, 'periodic task failed');
          },
        )
        .finally(() => {
          this.current = undefined;
          this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }
}
