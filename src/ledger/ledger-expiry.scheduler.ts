import { type DataSource } from 'typeorm';
import { namedLogger } from '../platform/logging/logger.js';
import { currencyLabel } from './consumer-mapping.js';
import { type LedgerMetrics } from './ledger.metrics.js';
import { type LedgerRepository } from './ledger.repository.js';
import { PeriodicTask, withSessionLock } from './periodic-task.js';

/** Arbitrary constant: the session advisory lock held by the instance that sweeps right now. */
export const EXPIRY_LOCK_KEY = 0x1ed6e3;

/**
 * Releases pending transfers whose timeout passed, every `intervalMs`. Safe with several
 * instances: a sweep runs only while its instance holds a session advisory lock (the others skip
 * that tick), and `expirePending` itself skips reservations settled or expired meanwhile, so
 * even two overlapping sweeps could never expire a reservation twice.
 */
export class LedgerExpiryScheduler {
  private readonly logger = namedLogger('LedgerExpiryScheduler');
  private readonly timer: PeriodicTask;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: LedgerRepository,
    private readonly metrics: LedgerMetrics,
    private readonly options: { readonly intervalMs: number; readonly batch: number },
  ) {
    this.timer = new PeriodicTask(
      'expiry',
      options.intervalMs,
      () => this.sweep(),
      () => this.metrics.expirySweeps.inc({ result: 'failed' }),
    );
  }

  start(): void {
    this.stopping = false;
    this.timer.start();
  }

  /** Stops the timer; a sweep in progress finishes its current transaction first. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.timer.stop();
  }

  /** One sweep, if this instance gets the lock; returns how many reservations it released. */
  async sweep(now: () => Date = () => new Date()): Promise<number | undefined> {
    const run = await withSessionLock(this.dataSource, EXPIRY_LOCK_KEY, async () => {
      let released = 0;
      for (;;) {
        const { expired } = await this.repository.expirePending(now(), this.options.batch);
        released += expired.length;
        const byCurrency = new Map<string, number>();
        for (const e of expired) {
          const label = currencyLabel(e.currency);
          byCurrency.set(label, (byCurrency.get(label) ?? 0) + 1);
        }
        for (const [currency, n] of byCurrency) this.metrics.count(currency, 'expired', n);
        if (expired.length < this.options.batch || this.stopping) break;
      }
      return released;
    });
    if (!run.locked) {
      this.metrics.expirySweeps.inc({ result: 'skipped' });
      return undefined;
    }
    this.metrics.expirySweeps.inc({ result: 'ran' });
    if (run.value > 0) this.logger.info({ released: run.value }, 'pending transfers expired');
    return run.value;
  }
}
