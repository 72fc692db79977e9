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

const currencyVariable: VariableSpec = {
  name: 'currency',
  label: 'Currency',
  query: `label_values(${M.ledgerTransfers}, currency)`,
  description: 'ISO 4217 currency of the transfers.',
};

const cur = 'currency=~"$currency"';
const REJECTED = 'outcome=~"rejected|invalid|conflict"';

/** Share of transfer requests matching `matcher` (0 when none matched). */
function share(matcher: string): string {
  const part = `sum(${rate(`${M.ledgerTransfers}{${matcher}, ${cur}}`)})`;
  const all = `sum(${rate(`${M.ledgerTransfers}{${cur}}`)})`;
  return `(${part} or ${all} * 0) / ${all}`;
}

/** The money stream: how much moves, how often requests fail and why. */
export function moneyDashboard(): Board {
  return new Board({
    uid: 'streamline-money',
    title: 'Streamline / Money (ledger)',
    description:
      'Transfers through the ledger: volume and count by currency and outcome, rejection reasons, duplicates, and how fast batches post.',
    tags: ['money', 'ledger'],
    variables: [currencyVariable],
  })
    .row('Now')
    .add(
      statPanel({
        title: 'Posted / s',
        description: 'Transfers posted per second (balances moved).',
        w: 5,
        h: 4,
        unit: 'reqps',
        queries: [
          {
            expr: `sum(${rate(`${M.ledgerTransfers}{outcome="posted", ${cur}}`)})`,
            legend: 'posted',
          },
        ],
        graph: true,
      }),
      statPanel({
        title: 'Requests / s',
        description: 'Transfer requests decided per second, all outcomes.',
        w: 5,
        h: 4,
        unit: 'reqps',
        queries: [{ expr: `sum(${rate(`${M.ledgerTransfers}{${cur}}`)})`, legend: 'requests' }],
        graph: true,
      }),
      statPanel({
        title: 'Rejected share',
        description:
          'Share of requests rejected (result code), invalid (failed validation) or in idempotency conflict.',
        w: 4,
        h: 4,
        unit: 'percentunit',
        queries: [{ expr: share(REJECTED), legend: 'rejected' }],
        thresholds: [
          [null, GREEN],
          [0.05, ORANGE],
          [0.2, RED],
        ],
      }),
      statPanel({
        title: 'Duplicate share',
        description:
          'Share of requests that repeated an already decided transfer id with the same body (answered with the original outcome, nothing posted twice).',
        w: 4,
        h: 4,
        unit: 'percentunit',
        queries: [{ expr: share('outcome="duplicate"'), legend: 'duplicates' }],
        thresholds: [
          [null, GREEN],
          [0.1, YELLOW],
        ],
      }),
      statPanel({
        title: 'Volume posted in range',
        description:
          'Amount posted in the selected time range, per currency, in minor units (cents for USD).',
        w: 6,
        h: 4,
        queries: [
          {
            expr: `sum by (currency) (increase(${M.ledgerVolume}{${cur}}[$__range]))`,
            legend: '{{currency}}',
          },
        ],
        instant: true,
        decimals: 0,
        text: 'value_and_name',
      }),
    )
    .row('Over time')
    .add(
      timeSeries({
        title: 'Transfer requests by outcome',
        description:
          'Requests decided per second by outcome: posted, pending, voided, expired, rejected, invalid, duplicate, conflict.',
        w: 12,
        h: 8,
        unit: 'reqps',
        stack: 'normal',
        queries: [
          {
            expr: `sum by (outcome) (${rate(`${M.ledgerTransfers}{${cur}}`)})`,
            legend: '{{outcome}}',
          },
        ],
      }),
      timeSeries({
        title: 'Volume posted per currency',
        description: 'Amount posted per second, in minor units of each currency.',
        w: 12,
        h: 8,
        unit: 'short',
        queries: [
          {
            expr: `sum by (currency) (${rate(`${M.ledgerVolume}{${cur}}`)})`,
            legend: '{{currency}}',
          },
        ],
      }),
    )
    .row('Why requests fail')
    .add(
      barsPanel({
        title: 'Rejection reasons',
        description: 'Rejected requests in the selected time range, by ledger result code.',
        w: 8,
        h: 9,
        queries: [
          {
            expr: `sort_desc(sum by (code) (increase(${M.ledgerRejections}[$__range])))`,
            legend: '{{code}}',
          },
        ],
        decimals: 0,
        thresholds: [[null, ORANGE]],
      }),
      timeSeries({
        title: 'Rejections by code',
        description: 'Rejected requests per second, by ledger result code.',
        w: 10,
        h: 9,
        unit: 'reqps',
        stack: 'normal',
        queries: [{ expr: `sum by (code) (${rate(M.ledgerRejections)})`, legend: '{{code}}' }],
      }),
      piePanel({
        title: 'Outcome mix',
        description: 'Requests in the selected time range by outcome.',
        w: 6,
        h: 9,
        queries: [
          {
            expr: `sum by (outcome) (increase(${M.ledgerTransfers}{${cur}}[$__range]))`,
            legend: '{{outcome}}',
          },
        ],
        decimals: 0,
      }),
    )
    .row('Posting')
    .add(
      timeSeries({
        title: 'Batch posting time',
        description:
          'Time to post one batch in one database transaction (lock, decide, write, commit), median and 99th percentile.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (${rate(`${M.ledgerPostDuration}_bucket`)}))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (${rate(`${M.ledgerPostDuration}_bucket`)}))`,
            legend: 'p99',
          },
        ],
        thresholds: [
          [null, GREEN],
          [0.25, ORANGE],
          [1, RED],
        ],
        showThresholds: true,
      }),
      timeSeries({
        title: 'Batch size',
        description:
          'Requests per posted batch (larger batches: fewer transactions, higher throughput).',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `sum(${rate(`${M.ledgerBatchSize}_sum`)}) / sum(${rate(`${M.ledgerBatchSize}_count`)})`,
            legend: 'mean',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (${rate(`${M.ledgerBatchSize}_bucket`)}))`,
            legend: 'p99',
          },
        ],
      }),
      timeSeries({
        title: 'Requests waiting and outbox backlog',
        description:
          'Transfer requests not yet consumed (lag on transactions.requested) and outcome events not yet published (ledger outbox rows).',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `sum(max by (topic, partition) (${M.lag}{service="ledger"}))`,
            legend: 'requests waiting (lag)',
          },
          { expr: `sum(${M.outboxBacklog}{service="ledger"})`, legend: 'outbox rows' },
        ],
        thresholds: [
          [null, GREEN],
          [1000, ORANGE],
        ],
      }),
    );
}
