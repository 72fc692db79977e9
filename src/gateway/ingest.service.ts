import { randomUUID } from 'node:crypto';
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { AvroSerde } from '../platform/messaging/avro-serde.js';
import { physicalTopic } from '../platform/messaging/topics.js';
import { type OutgoingRecord } from '../platform/messaging/publisher.js';
import { namedLogger } from '../platform/logging/logger.js';
import { getTracer, TRACEPARENT, type Tracer } from '../platform/observability/tracing.js';
import { SERVICE_CONFIG } from '../platform/service/tokens.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { type GatewayRequest } from './admission.guard.js';
import { type CompiledValidator, type FieldError } from './domain/avro-validator.js';
import { BodyError, mediaKind, parseBatchBody, parseJsonBody } from './domain/body.js';
import { isValidIdempotencyKey, requestFingerprint } from './domain/idempotency-key.js';
import { type GatewayConfig } from './gateway.config.js';
import { GatewayMetrics } from './gateway.metrics.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';
import { httpError } from './http-errors.js';
import { IdempotencyStore } from './idempotency.store.js';
import { OverloadedError, PublishBatcher, PublishTimeoutError } from './publish-batcher.js';
import { startRequestTrace } from './request-trace.js';
import { validatorFor, type StreamSpec } from './streams.js';
import { UsageMeter } from './usage-meter.js';

export interface Answer {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

type Mode = 'single' | 'batch';

interface Prepared<T> {
  readonly values: readonly T[];
}

/** W3C trace headers of the request, put on each of its Kafka records. */
type TraceHeaders = Readonly<Record<string, string>>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One ingest request, start to finish, after AuthGuard and AdmissionGuard admitted it:
 * media type → strict UTF-8 → JSON/NDJSON → Avro validation (400 with field errors, nothing
 * published) → optional Idempotency-Key claim → publish (acks=all) → 202 with the event ids.
 *
 * Trace context: the caller's W3C `traceparent` (+ `tracestate`) when valid, else a new root,
 * goes on every record the request publishes (each line of a batch) and back to the caller in
 * the `traceparent` response header (also on errors), so consumers continue the same trace.
 */
@Injectable()
export class IngestService {
  private readonly logger = namedLogger('IngestService');
  private readonly validators = new Map<string, CompiledValidator<unknown>>();
  /** In-process requests holding an idempotency key: retries here wait on them. */
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly tracer: Tracer;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_CONFIG) private readonly service: ServiceConfig,
    @Inject(PublishBatcher) private readonly batcher: PublishBatcher,
    @Inject(IdempotencyStore) private readonly idempotency: IdempotencyStore,
    @Inject(UsageMeter) private readonly meter: UsageMeter,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(AvroSerde) private readonly serde: AvroSerde,
  ) {
    this.tracer = getTracer(service.service);
  }

  private validator<T>(spec: StreamSpec<T>): CompiledValidator<T> {
    let v = this.validators.get(spec.name);
    if (!v) {
      v = validatorFor(spec, {
        minTimestampMs: this.config.minTimestampMs,
        maxFutureSkewMs: this.config.maxFutureSkewMs,
      });
      this.validators.set(spec.name, v);
    }
    return v as CompiledValidator<T>;
  }

  async handle<T>(
    spec: StreamSpec<T>,
    mode: Mode,
    req: GatewayRequest,
    reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    const trace = startRequestTrace(
      this.tracer,
      req.headers.traceparent,
      req.headers.tracestate,
      spec.name,
    );
    reply.header(TRACEPARENT, trace.headers[TRACEPARENT]);
    try {
      const answer = await this.process(spec, mode, req, reply, trace.headers);
      reply.status(answer.statusCode);
      return answer.body;
    } catch (err) {
      if (err instanceof BodyError) {
        this.metrics.rejected.inc({ reason: 'body' });
        throw httpError(err.status, err.code, err.message, err.details);
      }
      if (err instanceof HttpException) throw err;
      // Our failure: give the request back to the quota.
      if (req.quotaCharged) this.meter.refund(req.quotaCharged);
      if (err instanceof OverloadedError) {
        this.metrics.rejected.inc({ reason: 'overload' });
        reply.header('Retry-After', '1');
        throw httpError(503, 'PUBLISH.OVERLOADED', err.message);
      }
      if (err instanceof PublishTimeoutError) {
        reply.header('Retry-After', '1');
        throw httpError(
          503,
          'PUBLISH.TIMEOUT',
          `${err.message}; the events may still be written — retry with the same Idempotency-Key (or eventIds)`,
        );
      }
      this.logger.error(
        { err: String(err), stream: spec.name, traceId: trace.traceId },
        'ingest failed',
      );
      reply.header('Retry-After', '1');
      throw httpError(
        503,
        'PUBLISH.FAILED',
        'the request could not be completed (broker or database unavailable); retry with the same Idempotency-Key (or eventIds)',
      );
    } finally {
      trace.end();
    }
  }

  private async process<T>(
    spec: StreamSpec<T>,
    mode: Mode,
    req: GatewayRequest,
    reply: FastifyReply,
    trace: TraceHeaders,
  ): Promise<Answer> {
    const principal = req.principal;
    if (!principal) throw httpError(401, 'AUTH.MISSING_OR_INVALID_CREDENTIALS', 'no credentials');
    const kind = mediaKind(
      req.headers['content-type'],
      mode === 'single' ? ['json'] : ['json', 'ndjson'],
    );
    const raw = Buffer.isBuffer(req.body) ? req.body : undefined;
    const limit = mode === 'single' ? this.config.maxEventBytes : this.config.maxBatchBytes;
    if (raw && raw.length > limit) {
      throw new BodyError(
        413,
        'BODY.TOO_LARGE',
        `body of ${raw.length} bytes exceeds ${limit} bytes`,
      );
    }
    let items: unknown[];
    let fingerprintBody: unknown;
    if (mode === 'single') {
      fingerprintBody = parseJsonBody(raw);
      items = [fingerprintBody];
    } else {
      items = parseBatchBody(raw, kind);
      fingerprintBody = items;
      if (items.length === 0) throw new BodyError(400, 'BATCH.EMPTY', 'the batch holds no events');
      if (items.length > this.config.maxBatchItems) {
        throw new BodyError(
          413,
          'BATCH.TOO_MANY_ITEMS',
          `the batch holds ${items.length} events; at most ${this.config.maxBatchItems} are accepted`,
        );
      }
    }
    const idemHeader = req.headers['idempotency-key'];
    const idemKey = Array.isArray(idemHeader) ? idemHeader[0] : idemHeader;
    if (idemKey !== undefined && !isValidIdempotencyKey(idemKey)) {
      throw httpError(
        400,
        'IDEMPOTENCY.INVALID_KEY',
        'Idempotency-Key must be 1-255 visible ASCII characters',
      );
    }

    const now = Date.now();
    if (idemKey === undefined) {
      const prepared = this.validate(spec, mode, items, now, () => randomUUID());
      await this.publish(spec, prepared, trace);
      return this.accepted(spec, mode, prepared);
    }

    // Validate before claiming: an invalid request never occupies the key.
    const fillIds = items.map(() => randomUUID());
    this.validate(spec, mode, items, now, idFrom(fillIds));
    const fingerprint = requestFingerprint(`${spec.name}:${mode}`, fingerprintBody);
    const mapKey = `${principal.id}\n${idemKey}`;
    const deadline = Date.now() + this.config.idempotencyWaitMs;
    for (;;) {
      const local = this.inflight.get(mapKey);
      if (local) await local.catch(() => undefined);
      const claim = await this.idempotency.claim(principal.id, idemKey, fingerprint, fillIds, now);
      if (claim.kind === 'replay') {
        this.metrics.idempotency.inc({ outcome: 'replayed' });
        reply.header('Idempotent-Replayed', 'true');
        return { statusCode: claim.statusCode, body: claim.response as Record<string, unknown> };
      }
      if (claim.kind === 'mismatch') {
        this.metrics.idempotency.inc({ outcome: 'conflict' });
        throw httpError(
          409,
          'IDEMPOTENCY.KEY_REUSED',
          'this Idempotency-Key was used with a different request body or route',
        );
      }
      if (claim.kind === 'claimed') {
        const work = (async (): Promise<Answer> => {
          try {
            // A takeover reuses what the first attempt filled in: identical events.
            const prepared = this.validate(
              spec,
              mode,
              items,
              claim.fillTimeMs,
              idFrom(claim.fillEventIds),
            );
            await this.publish(spec, prepared, trace);
            const answer = this.accepted(spec, mode, prepared);
            await this.idempotency
              .complete(principal.id, idemKey, claim.owner, answer.statusCode, answer.body)
              .catch((err: unknown) =>
                this.logger.error({ err: String(err) }, 'could not record idempotent answer'),
              );
            this.metrics.idempotency.inc({ outcome: 'published' });
            return answer;
          } catch (err) {
            await this.idempotency.fail(principal.id, idemKey, claim.owner).catch(() => undefined);
            throw err;
          }
        })();
        this.inflight.set(mapKey, work);
        try {
          return await work;
        } finally {
          if (this.inflight.get(mapKey) === work) this.inflight.delete(mapKey);
        }
      }
      // In progress elsewhere: wait for it, up to the deadline.
      if (Date.now() >= deadline) {
        this.metrics.idempotency.inc({ outcome: 'in_progress' });
        reply.header('Retry-After', '1');
        throw httpError(
          409,
          'IDEMPOTENCY.IN_PROGRESS',
          'a request with this Idempotency-Key is still being processed; retry later',
        );
      }
      if (!this.inflight.has(mapKey)) await sleep(50);
    }
  }

  private validate<T>(
    spec: StreamSpec<T>,
    mode: Mode,
    items: readonly unknown[],
    now: number,
    eventId: (index: number) => string,
  ): Prepared<T> {
    const validator = this.validator(spec);
    const values: T[] = [];
    const errors: FieldError[] = [];
    for (let i = 0; i < items.length && errors.length < 100; i++) {
      const result = validator.validate(
        items[i],
        { now, eventId: () => eventId(i) },
        mode === 'single' ? '' : `[${i}]`,
      );
      if (result.ok) values.push(result.value);
      else errors.push(...result.errors);
    }
    if (errors.length > 0) {
      this.metrics.rejected.inc({ reason: 'validation' });
      throw httpError(
        400,
        'VALIDATION.FAILED',
        `the ${mode === 'single' ? 'event does' : 'batch does'} not match schema ${spec.schema}`,
        errors.slice(0, 100),
      );
    }
    return { values };
  }

  private async publish<T>(
    spec: StreamSpec<T>,
    prepared: Prepared<T>,
    headers: TraceHeaders,
  ): Promise<void> {
    const topic = physicalTopic(spec.topic, this.service.messaging.topicPrefix);
    // One headers object shared by the request's records (the publisher copies per record).
    const records: OutgoingRecord[] = prepared.values.map((value) => ({
      key: spec.keyOf(value),
      value,
      headers,
    }));
    // Cheap last line of defence: the validator and avsc must agree.
    const type = this.serde.readerType(spec.schema);
    for (const r of records) {
      if (!type.isValid(r.value)) throw new Error(`validated ${spec.schema} value does not encode`);
    }
    await this.batcher.publish(topic, records);
    this.metrics.events.inc({ stream: spec.name }, records.length);
  }

  private accepted<T>(spec: StreamSpec<T>, mode: Mode, prepared: Prepared<T>): Answer {
    const ids = prepared.values.map((v) => spec.eventIdOf(v));
    return {
      statusCode: 202,
      body: mode === 'single' ? { eventId: ids[0] } : { eventIds: ids, count: ids.length },
    };
  }
}

function idFrom(ids: readonly string[]): (index: number) => string {
  return (i) => ids[i] ?? randomUUID();
}
