import { M, SERVICE_JOBS } from './catalog.js';
import {
  Board,
  GREEN,
  ORANGE,
  rate,
  RED,
  statPanel,
  timeSeries,
  upDownMapping,
  type VariableSpec,
  YELLOW,
} from './kit.js';

export const serviceVariable: VariableSpec = {
  name: 'service',
  label: 'Service',
  query: `label_values(up{job=~"${SERVICE_JOBS}"}, service)`,
  description: 'Streamline services (scrape jobs of prometheus/prometheus.yml).',
};

const svc = 'service=~"$service"';

/** Health of every pipeline at a glance: is it up, is it flowing, is it keeping up, is it failing. */
export function overviewDashboard(): Board {
  return new Board({
    uid: 'streamline-overview',
    title: 'Streamline / Overview',
    description:
      'Health of every pipeline at a glance: services and consumers up, events in and out per stream, lag, latency, failures and outbox delay.',
    tags: ['overview'],
    variables: [serviceVariable],
  })
    .row('Up?')
    .add(
      statPanel({
        title: 'Services',
        description:
          'Whether Prometheus can scrape each service (up). DOWN for 1 minute raises ServiceDown.',
        w: 10,
        h: 4,
        queries: [{ expr: `up{job=~"${SERVICE_JOBS}", ${svc}}`, legend: '{{service}}' }],
        thresholds: [
          [null, RED],
          [1, GREEN],
        ],
        mappings: upDownMapping('UP', 'DOWN'),
        background: true,
        text: 'value_and_name',
      }),
      statPanel({
        title: 'Kafka consumers',
        description:
          'Whether each service’s consumer group member is joined and fetching (streamline_consumer_up). STOPPED for 1 minute raises ConsumerDown.',
        w: 8,
        h: 4,
        queries: [{ expr: `min by (service) (${M.consumerUp}{${svc}})`, legend: '{{service}}' }],
        thresholds: [
          [null, RED],
          [1, GREEN],
        ],
        mappings: upDownMapping('CONSUMING', 'STOPPED'),
        background: true,
        text: 'value_and_name',
      }),
      statPanel({
        title: 'Firing platform alerts',
        description:
          'Platform alerts (prometheus/rules) firing now. Details in Alertmanager; runbooks in prometheus/README.md.',
        w: 6,
        h: 4,
        queries: [
          {
            expr: 'count(ALERTS{alertstate="firing", team="platform"}) or vector(0)',
            legend: 'firing',
          },
        ],
        thresholds: [
          [null, GREEN],
          [1, RED],
        ],
        background: true,
      }),
    )
    .row('Streams')
    .add(
      statPanel({
        title: 'Transfer requests / s',
        description: 'Transfer requests the ledger consumes from transactions.requested.',
        w: 4,
        h: 4,
        unit: 'reqps',
        queries: [{ expr: `sum(${rate(`${M.consumed}{service="ledger"}`)})`, legend: 'transfers' }],
        graph: true,
      }),
      statPanel({
        title: 'Log lines / s',
        description: 'Log lines the alerting service consumes from logs.lines.',
        w: 4,
        h: 4,
        unit: 'cps',
        queries: [{ expr: `sum(${rate(`${M.consumed}{service="alerting"}`)})`, legend: 'lines' }],
        graph: true,
      }),
      statPanel({
        title: 'Comments / s',
        description: 'Comments the sentiment service consumes from comments.submitted.',
        w: 4,
        h: 4,
        unit: 'cps',
        queries: [
          { expr: `sum(${rate(`${M.consumed}{service="sentiment"}`)})`, legend: 'comments' },
        ],
        graph: true,
      }),
      statPanel({
        title: 'Alerts fired',
        description: 'Alerts that started firing in the selected time range (log-line rules).',
        w: 4,
        h: 4,
        queries: [
          { expr: `sum(increase(${M.alerts}{state=~"(?i)firing"}[$__range]))`, legend: 'fired' },
        ],
        instant: true,
        decimals: 0,
        thresholds: [
          [null, GREEN],
          [1, ORANGE],
        ],
      }),
      statPanel({
        title: 'Notifications',
        description:
          'Notification deliveries to subscribers in the selected time range, all outcomes.',
        w: 4,
        h: 4,
        queries: [{ expr: `sum(increase(${M.notifications}[$__range]))`, legend: 'notifications' }],
        instant: true,
        decimals: 0,
      }),
      statPanel({
        title: 'Dead letters',
        description:
          'Messages parked on a dead-letter topic in the selected time range, all services (0 when none ever was).',
        w: 4,
        h: 4,
        queries: [
          {
            expr: `sum(increase(${M.dlq}{${svc}}[$__range])) or vector(0)`,
            legend: 'dead letters',
          },
        ],
        instant: true,
        decimals: 0,
        thresholds: [
          [null, GREEN],
          [1, ORANGE],
          [100, RED],
        ],
      }),
    )
    .row('Flow')
    .add(
      timeSeries({
        title: 'Events in (consumed / s)',
        description:
          'Messages consumed per second, by service and topic (processed and dead-lettered).',
        w: 12,
        h: 8,
        unit: 'cps',
        queries: [
          {
            expr: `sum by (service, topic) (${rate(`${M.consumed}{${svc}}`)})`,
            legend: '{{service}} ← {{topic}}',
          },
        ],
      }),
      timeSeries({
        title: 'Events out (produced / s)',
        description:
          'Events published per second: directly (EventPublisher) and through the transactional outboxes.',
        w: 12,
        h: 8,
        unit: 'cps',
        queries: [
          {
            expr: `sum by (service, topic) (${rate(`${M.produced}{${svc}}`)})`,
            legend: '{{service}} → {{topic}}',
          },
          {
            expr: `sum by (service, topic) (${rate(`${M.outboxPublished}{${svc}}`)})`,
            legend: '{{service}} outbox → {{topic}}',
          },
        ],
      }),
      timeSeries({
        title: 'Consumer lag',
        description:
          'Messages waiting to be consumed, by service and topic (partitions de-duplicated across replicas). Growing above 1,000 raises ConsumerLagGrowing.',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `sum by (service, topic) (max by (service, topic, partition) (${M.lag}{${svc}}))`,
            legend: '{{service}} ← {{topic}}',
          },
        ],
        thresholds: [
          [null, GREEN],
          [1000, ORANGE],
          [100000, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'End-to-end latency p99',
        description:
          'Time from the Kafka record timestamp to the commit of its effects, 99th percentile by service. Above 10 s for 10 minutes raises EventLatencyHigh.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.99, sum by (service, le) (${rate(`${M.eventLatency}_bucket{${svc}}`)}))`,
            legend: '{{service}}',
          },
        ],
        thresholds: [
          [null, GREEN],
          [2, YELLOW],
          [10, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Failed share of consumed events',
        description:
          'Share of consumed messages that were dead-lettered, by service (0 when none failed). Above 5% for 5 minutes raises ConsumerErrorRatioHigh.',
        w: 8,
        h: 8,
        unit: 'percentunit',
        min: 0,
        queries: [
          {
            expr:
              `(sum by (service) (${rate(`${M.consumed}{outcome!="processed", ${svc}}`)})` +
              ` or sum by (service) (${rate(`${M.consumed}{${svc}}`)}) * 0)` +
              ` / sum by (service) (${rate(`${M.consumed}{${svc}}`)})`,
            legend: '{{service}}',
          },
        ],
        thresholds: [
          [null, GREEN],
          [0.01, ORANGE],
          [0.05, RED],
        ],
        showThresholds: true,
      }),
    )
    .row('Delivery')
    .add(
      timeSeries({
        title: 'Oldest unpublished outbox row',
        description:
          'Age of the oldest event written to an outbox and not yet on Kafka, by schema. Above 60 s raises OutboxBacklogOld.',
        w: 12,
        h: 8,
        unit: 's',
        min: 0,
        queries: [{ expr: `max by (schema) (${M.outboxOldestAge}{${svc}})`, legend: '{{schema}}' }],
        thresholds: [
          [null, GREEN],
          [60, ORANGE],
          [300, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Ingest gateway requests by status',
        description: 'HTTP requests answered by the ingest gateway per second, by status code.',
        w: 12,
        h: 8,
        unit: 'reqps',
        stack: 'normal',
        queries: [{ expr: `sum by (status) (${rate(M.gatewayRequests)})`, legend: '{{status}}' }],
      }),
    );
}
