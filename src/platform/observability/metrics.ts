import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process with the service name as a default label. Names follow
 * Prometheus conventions: base units, `_total` for counters, `_seconds` for durations, and
 * bounded label sets (topic, partition, outcome, reason — never ids).
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'streamline_process_' });
  return registry;
}

export class MessagingMetrics {
  readonly consumed: Counter<'topic' | 'outcome'>;
  readonly produced: Counter<'topic'>;
  readonly dlq: Counter<'topic' | 'reason'>;
  readonly retries: Counter<'topic'>;
  readonly batchDuration: Histogram<'topic'>;
  readonly endToEndLatency: Histogram<'topic'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly consumerUp: Gauge<'group'>;
  readonly rebalances: Counter<'group'>;

  constructor(readonly registry: Registry) {
    this.consumed = new Counter({
      name: 'streamline_consumer_messages_total',
      help: 'Messages consumed, by topic and outcome (processed, dead_lettered).',
      labelNames: ['topic', 'outcome'],
      registers: [registry],
    });
    this.produced = new Counter({
      name: 'streamline_producer_messages_total',
      help: 'Messages produced and acknowledged by the broker, by topic.',
      labelNames: ['topic'],
      registers: [registry],
    });
    this.dlq = new Counter({
      name: 'streamline_dlq_messages_total',
      help: 'Messages sent to a dead-letter topic, by source topic and reason code.',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'streamline_consumer_retries_total',
      help: 'Handler retries after a retriable error, by topic.',
      labelNames: ['topic'],
      registers: [registry],
    });
    this.batchDuration = new Histogram({
      name: 'streamline_consumer_batch_duration_seconds',
      help: 'Time to decode, handle and commit one batch chunk, by topic.',
      labelNames: ['topic'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.endToEndLatency = new Histogram({
      name: 'streamline_consumer_event_latency_seconds',
      help: 'Time from the Kafka record timestamp to the commit of its effects, by topic.',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'streamline_consumer_lag_messages',
      help: 'Messages between the committed position and the high watermark, by topic and partition.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    });
    this.consumerUp = new Gauge({
      name: 'streamline_consumer_up',
      help: '1 while the consumer group member is joined and fetching, else 0.',
      labelNames: ['group'],
      registers: [registry],
    });
    this.rebalances = new Counter({
      name: 'streamline_consumer_rebalances_total',
      help: 'Group joins (rebalances) of this consumer.',
      labelNames: ['group'],
      registers: [registry],
    });
  }
}
