import { M } from './catalog.js';
import {
  Board,
  GREEN,
  ORANGE,
  rate,
  RED,
  timeSeries,
  upDownMapping,
  type VariableSpec,
  YELLOW,
} from './kit.js';
import { serviceVariable } from './overview.js';

const variables: VariableSpec[] = [
  serviceVariable,
  {
    name: 'topic',
    label: 'Topic',
    query: `label_values(${M.consumed}{service=~"$service"}, topic)`,
    description: 'Kafka topic (physical name, with any KAFKA_TOPIC_PREFIX).',
  },
  {
    name: 'schema',
    label: 'Outbox schema',
    query: `label_values(${M.outboxBacklog}{service=~"$service"}, schema)`,
    description: 'PostgreSQL schema of an outbox table (one per emitting service).',
  },
];

const svc = 'service=~"$service"';
const st = 'service=~"$service", topic=~"$topic"';
const ss = 'service=~"$service", schema=~"$schema"';
const quantiles = (
  metric: string,
  filter: string,
  by: string,
): Array<{ expr: string; legend: string }> =>
  [0.5, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}, le) (${rate(`${metric}_bucket{${filter}}`)}))`,
    legend: `{{${by}}} p${q * 100}`,
  }));

/** Internals for operators: consumers, dead letters, outbox relays, processes, ingest gateway. */
export function kafkaOutboxDashboard(): Board {
  return new Board({
    uid: 'streamline-kafka-outbox',
    title: 'Streamline / Kafka and outbox internals',
    description:
      'Per topic and partition: consumption, lag, batch and end-to-end latency, retries, dead letters, rebalances; per outbox: backlog, age, publish rate and failures; per process: CPU, memory, event loop; the ingest gateway.',
    tags: ['kafka', 'outbox', 'internals'],
    variables,
  })
    .row('Consumers')
    .add(
      timeSeries({
        title: 'Consumed by topic and outcome',
        description: 'Messages consumed per second (processed or dead-lettered).',
        w: 12,
        h: 8,
        unit: 'cps',
        queries: [
          {
            expr: `sum by (topic, outcome) (${rate(`${M.consumed}{${st}}`)})`,
            legend: '{{topic}} {{outcome}}',
          },
        ],
      }),
      timeSeries({
        title: 'Produced by topic',
        description: 'Records acknowledged by the broker per second (EventPublisher), by topic.',
        w: 12,
        h: 8,
        unit: 'cps',
        queries: [
          {
            expr: `sum by (service, topic) (${rate(`${M.produced}{${svc}}`)})`,
            legend: '{{service}} → {{topic}}',
          },
        ],
      }),
      timeSeries({
        title: 'Lag per partition',
        description:
          'Messages between the committed offset and the high watermark, per topic and partition.',
        w: 12,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `max by (topic, partition) (${M.lag}{${st}})`,
            legend: '{{topic}}[{{partition}}]',
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
        title: 'Consumer group members',
        description: '1 while a service’s consumer is joined and fetching, 0 when stopped.',
        w: 12,
        h: 8,
        unit: 'short',
        min: 0,
        max: 1,
        queries: [
          {
            expr: `min by (service, group) (${M.consumerUp}{${svc}})`,
            legend: '{{service}} ({{group}})',
          },
        ],
        mappings: upDownMapping('consuming', 'stopped'),
        thresholds: [
          [null, RED],
          [1, GREEN],
        ],
      }),
      timeSeries({
        title: 'Batch duration',
        description: 'Time to decode, handle and commit one chunk, median and p99 per topic.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: quantiles(M.batchDuration, st, 'topic'),
        thresholds: [
          [null, GREEN],
          [1, YELLOW],
          [5, RED],
        ],
      }),
      timeSeries({
        title: 'End-to-end event latency',
        description: 'Kafka record timestamp to commit of its effects, median and p99 per topic.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: quantiles(M.eventLatency, st, 'topic'),
        thresholds: [
          [null, GREEN],
          [2, YELLOW],
          [10, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Retries and rebalances',
        description:
          'Handler retries after transient errors per second by topic; group joins per minute by group.',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `sum by (topic) (${rate(`${M.retries}{${st}}`)})`,
            legend: 'retries/s {{topic}}',
          },
          {
            expr: `sum by (group) (${rate(`${M.rebalances}{${svc}}`)}) * 60`,
            legend: 'rebalances/min {{group}}',
          },
        ],
      }),
      timeSeries({
        title: 'Dead letters by topic and reason',
        description: 'Messages sent to <topic>.dlq per minute, by source topic and reason code.',
        w: 24,
        h: 8,
        unit: 'opm',
        stack: 'normal',
        queries: [
          {
            expr: `sum by (topic, reason) (${rate(`${M.dlq}{${st}}`)}) * 60`,
            legend: '{{topic}} {{reason}}',
          },
        ],
      }),
    )
    .row('Outbox relays')
    .add(
      timeSeries({
        title: 'Outbox backlog',
        description: 'Outbox rows not yet published, by schema.',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [{ expr: `max by (schema) (${M.outboxBacklog}{${ss}})`, legend: '{{schema}}' }],
        thresholds: [
          [null, GREEN],
          [1000, ORANGE],
        ],
      }),
      timeSeries({
        title: 'Oldest unpublished row',
        description: 'Age of the oldest unpublished outbox row, by schema.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [{ expr: `max by (schema) (${M.outboxOldestAge}{${ss}})`, legend: '{{schema}}' }],
        thresholds: [
          [null, GREEN],
          [60, ORANGE],
          [300, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Published by topic',
        description: 'Outbox rows published to Kafka per second, by schema and topic.',
        w: 8,
        h: 8,
        unit: 'cps',
        queries: [
          {
            expr: `sum by (schema, topic) (${rate(`${M.outboxPublished}{${ss}}`)})`,
            legend: '{{schema}} → {{topic}}',
          },
        ],
      }),
      timeSeries({
        title: 'Publish failures and parked rows',
        description:
          'Failed publish attempts per minute (row: one row, batch: a whole round) and rows parked after their last attempt.',
        w: 24,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `sum by (schema, kind) (${rate(`${M.outboxFailures}{${ss}}`)}) * 60`,
            legend: 'failures/min {{schema}} {{kind}}',
          },
          { expr: `max by (schema) (${M.outboxParked}{${ss}})`, legend: 'parked {{schema}}' },
        ],
        thresholds: [
          [null, GREEN],
          [1, RED],
        ],
      }),
    )
    .row('Processes')
    .add(
      timeSeries({
        title: 'CPU',
        description: 'CPU time per second (1 = one core), by service.',
        w: 6,
        h: 8,
        unit: 'percentunit',
        min: 0,
        queries: [
          { expr: `sum by (service) (${rate(`${M.cpu}{${svc}}`)})`, legend: '{{service}}' },
        ],
      }),
      timeSeries({
        title: 'Resident memory',
        description: 'Resident set size by service.',
        w: 6,
        h: 8,
        unit: 'bytes',
        min: 0,
        queries: [{ expr: `sum by (service) (${M.rss}{${svc}})`, legend: '{{service}}' }],
      }),
      timeSeries({
        title: 'Heap used',
        description: 'V8 heap in use by service.',
        w: 6,
        h: 8,
        unit: 'bytes',
        min: 0,
        queries: [{ expr: `sum by (service) (${M.heapUsed}{${svc}})`, legend: '{{service}}' }],
      }),
      timeSeries({
        title: 'Event-loop delay p99',
        description:
          'p99 event-loop delay by service; above 500 ms for 5 minutes raises EventLoopBlocked.',
        w: 6,
        h: 8,
        unit: 's',
        min: 0,
        queries: [{ expr: `max by (service) (${M.eventLoopP99}{${svc}})`, legend: '{{service}}' }],
        thresholds: [
          [null, GREEN],
          [0.1, YELLOW],
          [0.5, RED],
        ],
        showThresholds: true,
      }),
    )
    .row('Ingest gateway')
    .add(
      timeSeries({
        title: 'Requests by route and status',
        description: 'HTTP requests answered per second, by route template and status code.',
        w: 8,
        h: 8,
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (route, status) (${rate(M.gatewayRequests)})`,
            legend: '{{route}} {{status}}',
          },
        ],
      }),
      timeSeries({
        title: 'Request latency p99',
        description:
          'Time from request to response, p99 by route (202 only after the broker acknowledged).',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.99, sum by (route, le) (${rate(`${M.gatewayDuration}_bucket`)}))`,
            legend: '{{route}}',
          },
        ],
        thresholds: [
          [null, GREEN],
          [0.1, YELLOW],
          [1, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Events accepted and requests refused',
        description:
          'Events acknowledged per second by stream; requests refused per second by reason.',
        w: 8,
        h: 8,
        unit: 'cps',
        queries: [
          { expr: `sum by (stream) (${rate(M.gatewayEvents)})`, legend: 'accepted {{stream}}' },
          { expr: `sum by (reason) (${rate(M.gatewayRejected)})`, legend: 'refused {{reason}}' },
        ],
      }),
    );
}
