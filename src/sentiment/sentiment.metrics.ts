import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type ClassifierPoolObserver, type ClassifierPoolStats } from './classifier-pool.js';

/** Label value of every source beyond the cardinality cap. */
export const OTHER_SOURCE = 'other';
const MAX_SOURCE_LABEL_LENGTH = 64;

/**
 * Caps the cardinality of the `source` label: at most `max` distinct sources get a label value
 * of their own — first the configured ones (SENTIMENT_METRIC_SOURCES), then the busiest ones of
 * the last 7 days (seeded at boot from the aggregates), then new ones in the order they are
 * first seen — and everything else is `other`. A slot, once given, is kept for the life of the
 * process, so a series never changes meaning. `other` itself, and sources longer than 64
 * characters, always map to `other`. The PostgreSQL aggregates keep every source uncapped.
 */
export class SourceLabeler {
  private readonly labelled = new Set<string>();

  constructor(
    readonly max: number,
    pinned: readonly string[] = [],
  ) {
    this.admit(pinned);
  }

  /** Gives slots to these sources while there are slots left. */
  admit(sources: readonly string[]): void {
    for (const s of sources) this.label(s);
  }

  label(source: string): string {
    if (this.labelled.has(source)) return source;
    if (
      this.labelled.size >= this.max ||
      source === OTHER_SOURCE ||
      source.length === 0 ||
      source.length > MAX_SOURCE_LABEL_LENGTH
    ) {
      return OTHER_SOURCE;
    }
    this.labelled.add(source);
    return source;
  }

  get size(): number {
    return this.labelled.size;
  }
}

/**
 * The sentiment service's Prometheus metrics. Labels are bounded: label (3 values), language
 * (en, pt, und, other), source (capped, see SourceLabeler), flag (a fixed vocabulary), worker
 * (pool index).
 */
export class SentimentMetrics implements ClassifierPoolObserver {
  readonly comments: Counter<'label' | 'source' | 'language'>;
  readonly score: Histogram<'source'>;
  readonly modelInfo: Gauge<'version'>;
  readonly latency: Histogram;
  readonly classifyDuration: Histogram;
  readonly flags: Counter<'flag'>;
  readonly redelivered: Counter;
  readonly workerBusy: Counter<'worker'>;
  readonly workerRestarts: Counter;
  readonly sources: SourceLabeler;
  private stats: () => ClassifierPoolStats | undefined = () => undefined;
  private lastSample = { at: performance.now(), busy: 0 };

  constructor(registry: Registry, sources: SourceLabeler) {
    this.sources = sources;
    this.comments = new Counter({
      name: 'streamline_sentiment_comments_total',
      help: 'Comments analysed (first analysis of each commentId; redeliveries are not counted), by label, source (capped: top sources + other) and language.',
      labelNames: ['label', 'source', 'language'],
      registers: [registry],
    });
    this.score = new Histogram({
      name: 'streamline_sentiment_score',
      help: 'Sentiment score in [-1, 1] of analysed comments, by source (capped); mean = _sum / _count.',
      labelNames: ['source'],
      buckets: [-0.75, -0.5, -0.25, -0.05, 0.05, 0.25, 0.5, 0.75, 1],
      registers: [registry],
    });
    this.modelInfo = new Gauge({
      name: 'streamline_sentiment_model_info',
      help: 'Version of the sentiment model artifact loaded by this process (value 1).',
      labelNames: ['version'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'streamline_sentiment_analysis_latency_seconds',
      help: 'Per comment: Kafka record timestamp of the submission to its analysis being stored and published.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.classifyDuration = new Histogram({
      name: 'streamline_sentiment_classify_duration_seconds',
      help: 'Wall time to classify one consumer chunk on the worker pool (queueing included).',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.flags = new Counter({
      name: 'streamline_sentiment_input_flags_total',
      help: 'Input conditions met by analysed comments (TRUNCATED, EMPTY, HTML_STRIPPED, CONTROL_CHARS_REMOVED, INVALID_UNICODE_REPLACED, ...).',
      labelNames: ['flag'],
      registers: [registry],
    });
    this.redelivered = new Counter({
      name: 'streamline_sentiment_redelivered_total',
      help: 'Comments whose analysis was already stored (redelivery or duplicate): re-published unchanged, not re-counted.',
      registers: [registry],
    });
    this.workerBusy = new Counter({
      name: 'streamline_sentiment_worker_busy_seconds_total',
      help: 'Time each classifier worker spent classifying ("main" when classifying in-process); rate() is its utilisation.',
      labelNames: ['worker'],
      registers: [registry],
    });
    this.workerRestarts = new Counter({
      name: 'streamline_sentiment_worker_restarts_total',
      help: 'Classifier workers replaced after a crash or a task timeout.',
      registers: [registry],
    });
    const stats = (): ClassifierPoolStats | undefined => this.stats();
    const utilization = (): number => this.utilization();
    new Gauge({
      name: 'streamline_sentiment_workers',
      help: 'Classifier worker threads configured (0 = classifying on the main thread) and live.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const s = stats();
        this.set({ state: 'configured' }, s?.size ?? 0);
        this.set({ state: 'live' }, s?.live ?? 0);
      },
    });
    new Gauge({
      name: 'streamline_sentiment_worker_queue_comments',
      help: 'Comments handed to the classifier pool and not answered yet.',
      registers: [registry],
      collect() {
        this.set(stats()?.queuedItems ?? 0);
      },
    });
    new Gauge({
      name: 'streamline_sentiment_worker_pool_utilization_ratio',
      help: 'Share of the pool busy classifying since the previous scrape (0..1; busy seconds / (elapsed × workers)).',
      registers: [registry],
      collect() {
        this.set(utilization());
      },
    });
  }

  /** Busy share of the pool since the previous call (one scrape to the next). */
  private utilization(): number {
    const s = this.stats();
    const now = performance.now();
    const busy = s?.busySeconds ?? 0;
    const elapsed = (now - this.lastSample.at) / 1000;
    const capacity = Math.max(1, s?.size ?? 1) * elapsed;
    const ratio = capacity > 0 ? (busy - this.lastSample.busy) / capacity : 0;
    this.lastSample = { at: now, busy };
    return Math.min(1, Math.max(0, ratio));
  }

  /** Reads pool statistics at scrape time. */
  watchPool(stats: () => ClassifierPoolStats): void {
    this.stats = stats;
  }

  setModel(version: string): void {
    this.modelInfo.reset();
    this.modelInfo.set({ version }, 1);
  }

  taskDone(worker: string, _items: number, busySeconds: number): void {
    this.workerBusy.inc({ worker }, busySeconds);
  }

  workerRestarted(): void {
    this.workerRestarts.inc();
  }
}
