import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { splitTallyKey, type OutcomeLabel, type OutcomeTally } from './consumer-mapping.js';

/**
 * The ledger's Prometheus metrics, on the service's registry. Labels are bounded: currency (ISO
 * codes the runtime knows, else OTHER), outcome (a fixed set) and result code (a fixed set).
 */
export class LedgerMetrics {
  readonly transfers: Counter<'currency' | 'outcome'>;
  readonly volume: Counter<'currency'>;
  readonly rejections: Counter<'code'>;
  readonly batchSize: Histogram;
  readonly postDuration: Histogram;
  readonly batchAttempts: Counter;
  readonly mergedChunks: Histogram;
  readonly queuedRequests: Gauge;
  readonly expirySweeps: Counter<'result'>;
  readonly vacuums: Counter<'table' | 'result'>;
  readonly vacuumDuration: Histogram<'table'>;

  constructor(registry: Registry) {
    this.transfers = new Counter({
      name: 'streamline_ledger_transfers_total',
      help: 'Transfer requests by currency and outcome (posted, pending, voided, rejected, duplicate, conflict, invalid, expired).',
      labelNames: ['currency', 'outcome'],
      registers: [registry],
    });
    this.volume = new Counter({
      name: 'streamline_ledger_volume_minor_total',
      help: 'Amount newly posted, in minor units of the currency.',
      labelNames: ['currency'],
      registers: [registry],
    });
    this.rejections = new Counter({
      name: 'streamline_ledger_rejections_total',
      help: 'Transfer requests rejected with a recorded outcome, by result code.',
      labelNames: ['code'],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'streamline_ledger_batch_size_requests',
      help: 'Requests per posted batch (one database transaction).',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 4000, 6000, 8000, 10000],
      registers: [registry],
    });
    this.postDuration = new Histogram({
      name: 'streamline_ledger_post_duration_seconds',
      help: 'Time to post one batch (lock, decide, write, commit), re-runs included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.batchAttempts = new Counter({
      name: 'streamline_ledger_batch_reruns_total',
      help: 'Batches re-run after losing a race (same new transfer id committed concurrently).',
      registers: [registry],
    });
    this.mergedChunks = new Histogram({
      name: 'streamline_ledger_batch_chunks',
      help: 'Consumer chunks (partitions) merged into one posted batch.',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16],
      registers: [registry],
    });
    this.queuedRequests = new Gauge({
      name: 'streamline_ledger_queued_requests',
      help: 'Parsed requests waiting for the batch in flight to commit.',
      registers: [registry],
    });
    this.expirySweeps = new Counter({
      name: 'streamline_ledger_expiry_sweeps_total',
      help: 'Expiry sweeps by result (ran, skipped = another instance holds the sweep lock, failed).',
      labelNames: ['result'],
      registers: [registry],
    });
    this.vacuums = new Counter({
      name: 'streamline_ledger_vacuums_total',
      help: 'VACUUMs of the ledger tables updated in place (outbox, pending_transfers), by result.',
      labelNames: ['table', 'result'],
      registers: [registry],
    });
    this.vacuumDuration = new Histogram({
      name: 'streamline_ledger_vacuum_duration_seconds',
      help: 'Duration of those VACUUMs.',
      labelNames: ['table'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  record(tally: OutcomeTally): void {
    for (const [key, n] of tally.transfers) {
      const { currency, outcome } = splitTallyKey(key);
      this.transfers.inc({ currency, outcome }, n);
    }
    for (const [currency, amount] of tally.volume) {
      // A Prometheus counter is a float64: exact up to 2^53 per increment, which every single
      // batch stays far below; the running total is approximate beyond that, as any counter.
      this.volume.inc({ currency }, Number(amount));
    }
    for (const [code, n] of tally.rejections) this.rejections.inc({ code }, n);
  }

  count(currency: string, outcome: OutcomeLabel, n = 1): void {
    if (n > 0) this.transfers.inc({ currency, outcome }, n);
  }
}
