import { M } from './catalog.js';
import {
  barsPanel,
  Board,
  GREEN,
  ORANGE,
  piePanel,
  rate,
  RED,
  statPanel,
  timeSeries,
  type VariableSpec,
  YELLOW,
} from './kit.js';

const variables: VariableSpec[] = [
  {
    name: 'severity',
    label: 'Severity',
    query: `label_values(${M.alerts}, severity)`,
    description: 'Alert severity (critical, high, warning, info).',
  },
  {
    name: 'rule',
    label: 'Rule',
    query: `label_values(${M.alerts}{severity=~"$severity"}, rule)`,
    description: 'Alert rule id.',
  },
];

const f = 'severity=~"$severity", rule=~"$rule"';
const FIRING = 'state=~"(?i)firing"';
const RESOLVED = 'state=~"(?i)resolved"';

/** The log-alerting stream: lines analysed, which rules fire, and whether subscribers hear. */
export function alertsDashboard(): Board {
  return new Board({
    uid: 'streamline-alerts',
    title: 'Streamline / Alerts (logs → alerts → notifications)',
    description:
      'Log lines analysed by the alerting service, alerts by rule, severity and state, and notification deliveries to subscribers.',
    tags: ['alerts', 'logs'],
    variables,
  })
    .row('Now')
    .add(
      statPanel({
        title: 'Log lines analysed / s',
        description: 'Log lines evaluated against the rules per second.',
        w: 5,
        h: 4,
        unit: 'cps',
        queries: [{ expr: `sum(${rate(M.alertingLines)})`, legend: 'lines' }],
        graph: true,
      }),
      statPanel({
        title: 'Alerts fired',
        description: 'Alerts that started firing in the selected time range.',
        w: 4,
        h: 4,
        queries: [
          { expr: `sum(increase(${M.alerts}{${FIRING}, ${f}}[$__range]))`, legend: 'fired' },
        ],
        instant: true,
        decimals: 0,
        thresholds: [
          [null, GREEN],
          [1, ORANGE],
        ],
      }),
      statPanel({
        title: 'Alerts resolved',
        description: 'Alerts whose condition cleared in the selected time range (0 when none did).',
        w: 4,
        h: 4,
        queries: [
          {
            expr: `sum(increase(${M.alerts}{${RESOLVED}, ${f}}[$__range])) or vector(0)`,
            legend: 'resolved',
          },
        ],
        instant: true,
        decimals: 0,
      }),
      statPanel({
        title: 'Firing now',
        description: 'Alerts currently firing (acknowledged and silenced included), by severity.',
        w: 6,
        h: 4,
        queries: [
          {
            expr: `sum by (severity) (${M.alertingActive}{severity=~"$severity"})`,
            legend: '{{severity}}',
          },
        ],
        decimals: 0,
        text: 'value_and_name',
        thresholds: [
          [null, GREEN],
          [1, ORANGE],
        ],
      }),
      statPanel({
        title: 'Failed delivery attempts',
        description:
          'Share of notification delivery attempts that failed (to be retried) or were given up (dead-lettered) over the selected range (0 when none did).',
        w: 5,
        h: 4,
        unit: 'percentunit',
        queries: [
          {
            expr:
              `(sum(increase(${M.notifications}{outcome=~"retried|dead_lettered"}[$__range]))` +
              ` or sum(increase(${M.notifications}[$__range])) * 0)` +
              ` / sum(increase(${M.notifications}[$__range]))`,
            legend: 'failed',
          },
        ],
        instant: true,
        thresholds: [
          [null, GREEN],
          [0.01, ORANGE],
          [0.1, RED],
        ],
      }),
    )
    .row('Which rules fire')
    .add(
      barsPanel({
        title: 'Top alerting rules',
        description: 'The ten rules that fired most in the selected time range.',
        w: 9,
        h: 9,
        queries: [
          {
            expr: `topk(10, sum by (rule) (increase(${M.alerts}{${FIRING}, ${f}}[$__range])))`,
            legend: '{{rule}}',
          },
        ],
        decimals: 0,
        thresholds: [[null, ORANGE]],
      }),
      timeSeries({
        title: 'Alerts fired by severity',
        description: 'Alerts that started firing, per minute, by severity.',
        w: 9,
        h: 9,
        unit: 'opm',
        stack: 'normal',
        queries: [
          {
            expr: `sum by (severity) (${rate(`${M.alerts}{${FIRING}, ${f}}`)}) * 60`,
            legend: '{{severity}}',
          },
        ],
      }),
      piePanel({
        title: 'Severity mix',
        description: 'Alerts fired in the selected time range, by severity.',
        w: 6,
        h: 9,
        queries: [
          {
            expr: `sum by (severity) (increase(${M.alerts}{${FIRING}, ${f}}[$__range]))`,
            legend: '{{severity}}',
          },
        ],
        decimals: 0,
      }),
    )
    .row('Log lines')
    .add(
      timeSeries({
        title: 'Log lines by outcome',
        description:
          'Log lines evaluated per second, by outcome (matched a rule or not, truncated…).',
        w: 8,
        h: 8,
        unit: 'cps',
        stack: 'normal',
        queries: [{ expr: `sum by (outcome) (${rate(M.alertingLines)})`, legend: '{{outcome}}' }],
      }),
      timeSeries({
        title: 'Line to alert latency',
        description:
          'Time from a log line’s Kafka timestamp to the commit of its evaluation (alert state and outbox row), median and p99.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (${rate(`${M.eventLatency}_bucket{service="alerting"}`)}))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (${rate(`${M.eventLatency}_bucket{service="alerting"}`)}))`,
            legend: 'p99',
          },
        ],
        thresholds: [
          [null, GREEN],
          [1, YELLOW],
          [10, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Log lines waiting',
        description: 'Consumer lag of the alerting service on logs.lines.',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          { expr: `sum(max by (topic, partition) (${M.lag}{service="alerting"}))`, legend: 'lag' },
        ],
        thresholds: [
          [null, GREEN],
          [1000, ORANGE],
          [100000, RED],
        ],
      }),
    )
    .row('Notifications')
    .add(
      timeSeries({
        title: 'Notification deliveries by outcome',
        description: 'Webhook and Alertmanager deliveries per minute, by outcome.',
        w: 8,
        h: 8,
        unit: 'opm',
        stack: 'normal',
        queries: [
          { expr: `sum by (outcome) (${rate(M.notifications)}) * 60`, legend: '{{outcome}}' },
        ],
      }),
      timeSeries({
        title: 'Alert to subscriber latency',
        description:
          'Time from a notification being due to its successful delivery (retries included), median and p99 by receiver kind.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [0.5, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (receiver, le) (${rate(`${M.notifierLatency}_bucket`)}))`,
          legend: `{{receiver}} p${q * 100}`,
        })),
        thresholds: [
          [null, GREEN],
          [1, YELLOW],
          [30, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Alert events waiting for the notifier',
        description:
          'Alert events not yet published by the alerting outbox, not yet consumed by the notifier (lag on alerts.events), and deliveries queued (backing off included).',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          { expr: `sum(${M.outboxBacklog}{service="alerting"})`, legend: 'alerting outbox rows' },
          {
            expr: `sum(max by (topic, partition) (${M.lag}{service="notifier"}))`,
            legend: 'notifier lag',
          },
          { expr: `sum(${M.notifierQueue})`, legend: 'deliveries queued' },
        ],
      }),
    );
}
