/**
 * Metric families the dashboards read, in one place: when a service renames a metric, change it
 * here and run `npm run dashboards`. Platform families come from every service
 * (src/platform/observability/metrics.ts, src/platform/outbox/outbox.relay.ts); the others from
 * the service named by `ownerOf`. Every series carries `service` (the scrape job's label).
 */
export const M = {
  // platform: Kafka consumers and producers
  consumed: 'streamline_consumer_messages_total',
  produced: 'streamline_producer_messages_total',
  dlq: 'streamline_dlq_messages_total',
  retries: 'streamline_consumer_retries_total',
  batchDuration: 'streamline_consumer_batch_duration_seconds',
  eventLatency: 'streamline_consumer_event_latency_seconds',
  lag: 'streamline_consumer_lag_messages',
  consumerUp: 'streamline_consumer_up',
  rebalances: 'streamline_consumer_rebalances_total',
  // platform: transactional outbox relay
  outboxPublished: 'streamline_outbox_published_total',
  outboxFailures: 'streamline_outbox_publish_failures_total',
  outboxBacklog: 'streamline_outbox_backlog_rows',
  outboxOldestAge: 'streamline_outbox_oldest_unpublished_age_seconds',
  outboxParked: 'streamline_outbox_parked_rows',
  // platform: Node process (prom-client defaults with the streamline_process_ prefix)
  cpu: 'streamline_process_process_cpu_seconds_total',
  rss: 'streamline_process_process_resident_memory_bytes',
  heapUsed: 'streamline_process_nodejs_heap_size_used_bytes',
  eventLoopP99: 'streamline_process_nodejs_eventloop_lag_p99_seconds',
  // ledger
  ledgerTransfers: 'streamline_ledger_transfers_total',
  ledgerVolume: 'streamline_ledger_volume_minor_total',
  ledgerRejections: 'streamline_ledger_rejections_total',
  ledgerBatchSize: 'streamline_ledger_batch_size_requests',
  ledgerPostDuration: 'streamline_ledger_post_duration_seconds',
  // alerting and notifier
  alerts: 'streamline_alerts_total',
  alertingLines: 'streamline_alerting_lines_total',
  alertingActive: 'streamline_alerting_active_alerts',
  notifications: 'streamline_notifications_total',
  notifierLatency: 'streamline_notifier_delivery_latency_seconds',
  notifierQueue: 'streamline_notifier_queue_depth',
  // sentiment
  sentimentComments: 'streamline_sentiment_comments_total',
  sentimentScoreSum: 'streamline_sentiment_score_sum',
  sentimentScoreCount: 'streamline_sentiment_score_count',
  sentimentModelInfo: 'streamline_sentiment_model_info',
  // gateway
  gatewayRequests: 'streamline_gateway_http_requests_total',
  gatewayDuration: 'streamline_gateway_http_request_duration_seconds',
  gatewayEvents: 'streamline_gateway_events_accepted_total',
  gatewayRejected: 'streamline_gateway_rejected_total',
} as const;

export const SERVICES = ['gateway', 'ledger', 'alerting', 'notifier', 'sentiment'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Job regex of the Streamline services in prometheus/prometheus.yml. */
export const SERVICE_JOBS = SERVICES.join('|');

const OWNERS: ReadonlyArray<readonly [string, ServiceName]> = [
  ['streamline_ledger_', 'ledger'],
  ['streamline_alerts_', 'alerting'],
  ['streamline_alerting_', 'alerting'],
  ['streamline_notifications_', 'notifier'],
  ['streamline_notifier_', 'notifier'],
  ['streamline_sentiment_', 'sentiment'],
  ['streamline_gateway_', 'gateway'],
];

/** The service that exports a metric family; undefined for platform families (every service). */
export function ownerOf(metric: string): ServiceName | undefined {
  return OWNERS.find(([prefix]) => metric.startsWith(prefix))?.[1];
}
