import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The notifier's metrics (bounded labels: outcomes and receiver kinds). */
export class NotifierMetrics {
  readonly notifications: Counter<'outcome'>;
  readonly latency: Histogram<'receiver'>;
  readonly attemptDuration: Histogram<'receiver'>;
  readonly queueDepth: Gauge;
  readonly events: Counter<'outcome'>;
  readonly created: Counter<'receiver'>;
  readonly groups: Gauge;

  constructor(registry: Registry, depth: () => Promise<number>) {
    this.notifications = new Counter({
      name: 'streamline_notifications_total',
      help: 'Delivery attempts by outcome: delivered, retried (failed, will retry), dead_lettered (given up).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'streamline_notifier_delivery_latency_seconds',
      help: 'From a notification being due to its successful delivery (includes retries), by receiver kind.',
      labelNames: ['receiver'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    });
    this.attemptDuration = new Histogram({
      name: 'streamline_notifier_attempt_duration_seconds',
      help: 'Duration of one delivery attempt (HTTP round trip), by receiver kind.',
      labelNames: ['receiver'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.queueDepth = new Gauge({
      name: 'streamline_notifier_queue_depth',
      help: 'Deliveries waiting in the durable queue (pending, including those backing off).',
      registers: [registry],
      async collect() {
        this.set(await depth().catch(() => Number.NaN));
      },
    });
    this.events = new Counter({
      name: 'streamline_notifier_events_total',
      help: 'Alert events consumed: ingested, or duplicate (already seen, ignored).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.created = new Counter({
      name: 'streamline_notifier_notifications_created_total',
      help: 'Notifications queued for delivery, by receiver kind.',
      labelNames: ['receiver'],
      registers: [registry],
    });
    for (const outcome of ['delivered', 'retried', 'dead_lettered'])
      this.notifications.inc({ outcome }, 0);
    this.groups = new Gauge({
      name: 'streamline_notifier_groups',
      help: 'Aggregation groups held by the scheduler.',
      registers: [registry],
    });
  }
}
