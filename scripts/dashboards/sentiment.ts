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
  type Steps,
  timeSeries,
  type VariableSpec,
  YELLOW,
} from './kit.js';

const variables: VariableSpec[] = [
  {
    name: 'source',
    label: 'Source',
    query: `label_values(${M.sentimentComments}, source)`,
    description: 'Where comments come from (app-store, support, twitter, …).',
  },
  {
    name: 'language',
    label: 'Language',
    query: `label_values(${M.sentimentComments}{source=~"$source"}, language)`,
    description: 'Detected (or hinted) ISO 639-1 language.',
  },
];

const f = 'source=~"$source", language=~"$language"';
const src = 'source=~"$source"';
const inRange = (selector: string): string => `increase(${selector}[$__range])`;
const SCORE_STEPS: Steps = [
  [null, RED],
  [-0.2, YELLOW],
  [0.2, GREEN],
];

/** Share of comments with `label` among `by` groups over the range (0 when none had it). */
function labelShare(label: string, by = ''): string {
  const grouping = by ? `sum by (${by})` : 'sum';
  const part = `${grouping} (${inRange(`${M.sentimentComments}{label=~"(?i)${label}", ${f}}`)})`;
  const all = `${grouping} (${inRange(`${M.sentimentComments}{${f}}`)})`;
  return `(${part} or ${all} * 0) / ${all}`;
}

/** The comments stream: how people feel, per source and language, and the model behind it. */
export function sentimentDashboard(): Board {
  return new Board({
    uid: 'streamline-sentiment',
    title: 'Streamline / Sentiment (comments)',
    description:
      'Comments analysed by the sentiment service: counts and mean score by label, source and language, the trend per source, and the model version.',
    tags: ['sentiment', 'comments'],
    variables,
  })
    .row('Now')
    .add(
      statPanel({
        title: 'Comments analysed / s',
        description: 'Comments classified per second.',
        w: 5,
        h: 4,
        unit: 'cps',
        queries: [{ expr: `sum(${rate(`${M.sentimentComments}{${f}}`)})`, legend: 'comments' }],
        graph: true,
      }),
      statPanel({
        title: 'Mean score',
        description: 'Mean polarity over the selected range, from -1 (negative) to 1 (positive).',
        w: 5,
        h: 4,
        decimals: 2,
        min: -1,
        max: 1,
        queries: [
          {
            expr: `sum(${inRange(`${M.sentimentScoreSum}{${src}}`)}) / sum(${inRange(`${M.sentimentScoreCount}{${src}}`)})`,
            legend: 'mean score',
          },
        ],
        instant: true,
        thresholds: SCORE_STEPS,
      }),
      statPanel({
        title: 'Positive',
        description: 'Share of comments classified positive over the selected range.',
        w: 4,
        h: 4,
        unit: 'percentunit',
        queries: [{ expr: labelShare('positive'), legend: 'positive' }],
        instant: true,
        thresholds: [[null, GREEN]],
      }),
      statPanel({
        title: 'Negative',
        description: 'Share of comments classified negative over the selected range.',
        w: 4,
        h: 4,
        unit: 'percentunit',
        queries: [{ expr: labelShare('negative'), legend: 'negative' }],
        instant: true,
        thresholds: [
          [null, GREEN],
          [0.3, ORANGE],
          [0.5, RED],
        ],
      }),
      statPanel({
        title: 'Model version',
        description: 'Version of the model artifact the sentiment service runs.',
        w: 6,
        h: 4,
        queries: [{ expr: `max by (version) (${M.sentimentModelInfo})`, legend: '{{version}}' }],
        text: 'name',
      }),
    )
    .row('Trend')
    .add(
      timeSeries({
        title: 'Sentiment trend per source',
        description:
          'Mean polarity of the comments analysed, per source (-1 negative … 1 positive).',
        w: 12,
        h: 9,
        decimals: 2,
        min: -1,
        max: 1,
        queries: [
          {
            expr: `sum by (source) (${rate(`${M.sentimentScoreSum}{${src}}`)}) / sum by (source) (${rate(`${M.sentimentScoreCount}{${src}}`)})`,
            legend: '{{source}}',
          },
        ],
        thresholds: SCORE_STEPS,
        showThresholds: true,
      }),
      timeSeries({
        title: 'Comments by label',
        description: 'Comments analysed per second by sentiment label.',
        w: 12,
        h: 9,
        unit: 'cps',
        stack: 'normal',
        queries: [
          { expr: `sum by (label) (${rate(`${M.sentimentComments}{${f}}`)})`, legend: '{{label}}' },
        ],
      }),
    )
    .row('Mix')
    .add(
      barsPanel({
        title: 'Negative share per source',
        description: 'Share of negative comments per source over the selected range.',
        w: 8,
        h: 8,
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [{ expr: labelShare('negative', 'source'), legend: '{{source}}' }],
        thresholds: [
          [null, GREEN],
          [0.3, ORANGE],
          [0.5, RED],
        ],
      }),
      piePanel({
        title: 'Label mix',
        description: 'Comments in the selected range by label.',
        w: 8,
        h: 8,
        queries: [
          {
            expr: `sum by (label) (${inRange(`${M.sentimentComments}{${f}}`)})`,
            legend: '{{label}}',
          },
        ],
        decimals: 0,
      }),
      piePanel({
        title: 'Languages',
        description: 'Comments in the selected range by detected language.',
        w: 8,
        h: 8,
        queries: [
          {
            expr: `sum by (language) (${inRange(`${M.sentimentComments}{${f}}`)})`,
            legend: '{{language}}',
          },
        ],
        decimals: 0,
      }),
    )
    .row('Processing')
    .add(
      timeSeries({
        title: 'Comments by source',
        description: 'Comments analysed per second, per source.',
        w: 8,
        h: 8,
        unit: 'cps',
        queries: [
          {
            expr: `sum by (source) (${rate(`${M.sentimentComments}{${f}}`)})`,
            legend: '{{source}}',
          },
        ],
      }),
      timeSeries({
        title: 'Analysis latency',
        description:
          'Time from a comment’s Kafka timestamp to the commit of its analysis, median and p99.',
        w: 8,
        h: 8,
        unit: 's',
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (${rate(`${M.eventLatency}_bucket{service="sentiment"}`)}))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (${rate(`${M.eventLatency}_bucket{service="sentiment"}`)}))`,
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
        title: 'Comments waiting',
        description: 'Consumer lag of the sentiment service on comments.submitted.',
        w: 8,
        h: 8,
        unit: 'short',
        min: 0,
        queries: [
          { expr: `sum(max by (topic, partition) (${M.lag}{service="sentiment"}))`, legend: 'lag' },
        ],
        thresholds: [
          [null, GREEN],
          [1000, ORANGE],
          [100000, RED],
        ],
      }),
    );
}
