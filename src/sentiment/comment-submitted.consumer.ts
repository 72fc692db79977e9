import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { performance } from 'node:perf_hooks';
import { namedLogger } from '../platform/logging/logger.js';
import {
  type BatchOutcome,
  type ConsumedMessage,
  type MessageFailure,
} from '../platform/messaging/batch-consumer.js';
import { EventPublisher } from '../platform/messaging/publisher.js';
import { physicalTopic, TOPICS } from '../platform/messaging/topics.js';
import {
  getTracer,
  TRACEPARENT,
  traceIdOf,
  type Tracer,
} from '../platform/observability/tracing.js';
import { type CommentAnalyzed, type CommentSubmitted } from '../platform/schemas/generated.js';
import { SERVICE_CONFIG } from '../platform/service/tokens.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { ClassifierPool, ClassifierTimeoutError } from './classifier-pool.js';
import { isFailure } from './comment-classifier.js';
import {
  ANALYSIS_FAILED,
  ANALYSIS_TIMEOUT,
  languageLabel,
  prepareComment,
  toAnalyzedEvent,
  type PreparedComment,
} from './comment-mapping.js';
import { type SentimentServiceConfig } from './sentiment.config.js';
import { SentimentMetrics } from './sentiment.metrics.js';
import { SentimentRepository } from './sentiment.repository.js';
import { MODEL_VERSION, SENTIMENT_CONFIG } from './sentiment.tokens.js';

/**
 * `comments.submitted` → analyses. Per chunk (one partition, in order):
 *
 * 1. Comments that cannot be analysed or stored at all (empty or oversized commentId, eventId
 *    not a UUID, impossible submittedAt) are returned as failures → `<topic>.dlq` with
 *    VALIDATION.INVALID. Bad *text* is never refused: it gets a result with flags.
 * 2. The rest are classified on the worker pool (split across workers, results in order).
 * 3. One statement stores the analyses (first one per commentId wins) and folds the new ones
 *    into the per-minute aggregates; metrics count only those.
 * 4. The events are published AFTER that commit: for new analyses as just computed, for
 *    comments already stored (a redelivery) the stored analysis, unchanged. The handler resolves
 *    only once the broker acknowledged them, and only then does the runner commit the offsets.
 *
 * Why no outbox: the analysis row is itself the durable record of the event (every field of
 * it), and the event id is a function of commentId and model version. If the process dies
 * between the commit and the publish, the offsets were not committed, the chunk is redelivered,
 * step 3 finds the rows and step 4 publishes the same events again: at-least-once with a stable
 * event id, which is the same guarantee an outbox relay gives (it too can publish twice), and
 * nothing else depends on the event being atomic with the row. An outbox would add a second
 * write and a relay round trip per comment on the hot path for no stronger guarantee.
 *
 * Each `comments.analyzed` record carries the W3C trace context (`traceparent`, `tracestate`)
 * of the `comments.submitted` record that caused it — this delivery's, also when a redelivery
 * re-publishes the stored analysis.
 */
@Controller()
export class CommentSubmittedConsumer {
  private readonly logger = namedLogger('CommentSubmittedConsumer');
  private readonly outputTopic: string;
  private readonly tracer: Tracer;

  constructor(
    @Inject(ClassifierPool) private readonly pool: ClassifierPool,
    @Inject(SentimentRepository) private readonly repository: SentimentRepository,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(SentimentMetrics) private readonly metrics: SentimentMetrics,
    @Inject(SENTIMENT_CONFIG) private readonly config: SentimentServiceConfig,
    @Inject(MODEL_VERSION) private readonly modelVersion: string,
    @Inject(SERVICE_CONFIG) service: ServiceConfig,
  ) {
    this.outputTopic = physicalTopic(TOPICS.commentsAnalyzed.name, service.messaging.topicPrefix);
    this.tracer = getTracer(service.service);
  }

  @EventPattern(TOPICS.commentsSubmitted.name)
  async onCommentsSubmitted(
    @Payload() messages: ConsumedMessage<CommentSubmitted>[],
  ): Promise<BatchOutcome> {
    const failures: MessageFailure[] = [];
    const comments: PreparedComment[] = [];
    const sources: ConsumedMessage<CommentSubmitted>[] = [];
    const seen = new Set<string>();
    let duplicatesInChunk = 0;
    for (const m of messages) {
      const prepared = prepareComment(m.value, this.config.maxChars);
      if (!prepared.ok) {
        failures.push({ offset: m.offset, reasonCode: prepared.reasonCode, error: prepared.error });
        continue;
      }
      // The same comment twice in a chunk: one analysis, one event (the first wins anyway).
      if (seen.has(prepared.comment.commentId)) {
        duplicatesInChunk += 1;
        continue;
      }
      seen.add(prepared.comment.commentId);
      comments.push(prepared.comment);
      sources.push(m);
    }
    if (comments.length === 0) return { failures };

    const started = performance.now();
    let results;
    try {
      results = await this.pool.classify(comments.map((c) => c.request));
    } catch (err) {
      if (err instanceof ClassifierTimeoutError && comments.length === 1) {
        failures.push({
          offset: (sources[0] as ConsumedMessage<CommentSubmitted>).offset,
          reasonCode: ANALYSIS_TIMEOUT,
          error: err.message,
        });
        return { failures };
      }
      // A timeout in a larger chunk is not retriable: the runner replays the chunk one message
      // at a time, and only the comment that overruns again is dead-lettered.
      throw err;
    }
    this.metrics.classifyDuration.observe((performance.now() - started) / 1000);

    const analyzedAt = Date.now();
    const events: CommentAnalyzed[] = [];
    /** Trace headers of each event, by commentId (unique in `comments`). */
    const traces = new Map<string, Readonly<Record<string, string>>>();
    for (let i = 0; i < comments.length; i++) {
      const comment = comments[i] as PreparedComment;
      const source = sources[i] as ConsumedMessage<CommentSubmitted>;
      const result = results[i];
      if (result === undefined || isFailure(result)) {
        const error = result === undefined ? 'no result' : result.error;
        failures.push({ offset: source.offset, reasonCode: ANALYSIS_FAILED, error });
        this.logger.error(
          { commentId: comment.commentId, traceId: traceIdOf(source.headers), err: error },
          'analysis failed',
        );
        continue;
      }
      events.push(toAnalyzedEvent(comment, result, this.modelVersion, analyzedAt));
      const headers = this.tracer.propagate(source.headers, 'sentiment.analyze');
      if (headers[TRACEPARENT] !== undefined) traces.set(comment.commentId, headers);
    }
    if (events.length === 0) return { failures };

    const stored = await this.repository.record(events);
    this.count(events, stored);
    const redelivered = events.filter((e) => !stored.has(e.commentId)).map((e) => e.commentId);
    let outgoing = events;
    if (redelivered.length > 0) {
      const previous = new Map(
        (await this.repository.findMany(redelivered)).map((e) => [e.commentId, e]),
      );
      outgoing = events.map((e) => previous.get(e.commentId) ?? e);
      this.metrics.redelivered.inc(redelivered.length);
    }
    if (duplicatesInChunk > 0) this.metrics.redelivered.inc(duplicatesInChunk);

    await this.publisher.publish(
      this.outputTopic,
      outgoing.map((e) => ({ key: e.commentId, value: e, headers: traces.get(e.commentId) })),
    );
    const now = Date.now();
    for (const m of messages) this.metrics.latency.observe(Math.max(0, now - m.timestamp) / 1000);
    return { failures };
  }

  /** Metrics for the analyses stored just now (committed; redeliveries are not re-counted). */
  private count(events: readonly CommentAnalyzed[], stored: ReadonlySet<string>): void {
    const counts = new Map<string, number>();
    for (const e of events) {
      if (!stored.has(e.commentId)) continue;
      const source = this.metrics.sources.label(e.source);
      const key = `${e.label}\u0000${source}\u0000${languageLabel(e.language)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      this.metrics.score.observe({ source }, e.score);
      for (const flag of e.flags ?? []) this.metrics.flags.inc({ flag });
    }
    for (const [key, n] of counts) {
      const [label = '', source = '', language = ''] = key.split('\u0000');
      this.metrics.comments.inc({ label: label.toLowerCase(), source, language }, n);
    }
  }
}
