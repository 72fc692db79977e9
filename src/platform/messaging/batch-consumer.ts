import { performance } from 'node:perf_hooks';
import {
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import { type Logger } from 'pino';
import { type MessagingMetrics } from '../observability/metrics.js';
import { type SchemaName, type DeadLetter } from '../schemas/generated.js';
import { AvroSerde } from './avro-serde.js';
import { retryTransient } from './bootstrap.js';
import { DlqReason, PermanentMessageError, errorMessage, isRetriable } from './errors.js';
import { type KafkaClient } from './kafka.js';
import { dlqTopicName } from './topics.js';
import { traceIdOf } from '../observability/tracing.js';

/** A decoded message handed to a handler, in partition order. */
export interface ConsumedMessage<T> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: T;
  readonly headers: Readonly<Record<string, string>>;
  /** Kafka record timestamp, epoch milliseconds. */
  readonly timestamp: number;
}

/** A message the handler judged invalid: it goes to the DLQ and is never retried. */
export interface MessageFailure {
  readonly offset: string;
  readonly reasonCode: string;
  readonly error: string;
}

export interface BatchOutcome {
  readonly failures?: readonly MessageFailure[];
}

/**
 * Handles a chunk of messages from ONE partition, in order. Contract: when it resolves, the
 * effects of every message not listed in `failures` are durable; when it throws, it left no
 * effects (one database transaction) or its effects are idempotent. Throw a `RetriableError`
 * (or let a connection error escape) for transient trouble; any other error makes the runner
 * isolate the failing message and dead-letter it.
 */
export type BatchHandler<T> = (
  messages: readonly ConsumedMessage<T>[],
) => Promise<BatchOutcome | void>;

export interface Subscription<T = unknown> {
  readonly topic: string;
  readonly schema: SchemaName;
  readonly handler: BatchHandler<T>;
  /**
   * Hand values over undecoded (`Buffer | null`): the handler decodes them (on a worker thread,
   * say) and lists the ones that do not decode in `failures`, which go to the DLQ as usual.
   */
  readonly raw?: boolean;
}

export interface BatchConsumerOptions {
  readonly groupId: string;
  /** Most messages per handler call (one DB transaction per call in our services). */
  readonly maxChunkSize: number;
  /** Attempts per chunk for retriable errors before the consumer gives the batch back. */
  readonly retryAttempts: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeMs: number;
  readonly fromBeginning: boolean;
  /**
   * kafkajs consumers this process runs in the group (default 1). kafkajs fetches from a
   * broker, waits until every fetched batch is processed, then fetches again; with two, one
   * member's fetch overlaps the other's processing (partitions are split between them).
   */
  readonly members?: number;
}

export const defaultConsumerOptions: Omit<BatchConsumerOptions, 'groupId'> = {
  maxChunkSize: 1000,
  retryAttempts: 5,
  retryInitialMs: 100,
  retryMaxMs: 5000,
  partitionsConsumedConcurrently: 3,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3000,
  maxBytesPerPartition: 1_048_576,
  maxWaitTimeMs: 100,
  fromBeginning: true,
};

export interface ConsumerHealth {
  readonly running: boolean;
  readonly joined: boolean;
  readonly crashed: boolean;
  readonly lastFetchAt: number | undefined;
  readonly lastHeartbeatAt: number | undefined;
  readonly memberId: string | undefined;
  readonly assignedPartitions: number;
}

interface DeadItem {
  readonly message: KafkaMessage;
  readonly reasonCode: string;
  readonly error: string;
  readonly attempts: number;
}

type HandlerRun =
  | { ok: true; failures: readonly MessageFailure[]; attempts: number }
  | { ok: false; error: unknown; attempts: number };

const ERROR_TEXT_MAX = 2000;

/** Shared by every message without headers (most of them): one object less per message. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function headersToStrings(headers: IHeaders | undefined): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) (out ??= {})[name] = value.toString();
  }
  return out ?? NO_HEADERS;
}

/**
 * A raw subscription's message: its key and headers become strings only when read. Handlers of
 * raw batches (log lines by the ten thousand) mostly never read them.
 */
class RawMessage implements ConsumedMessage<Buffer | null> {
  readonly offset: string;
  readonly value: Buffer | null;
  readonly timestamp: number;
  private keyText: string | null | undefined;
  private headerText: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly message: KafkaMessage,
  ) {
    this.offset = message.offset;
    this.value = message.value;
    this.timestamp = Number(message.timestamp);
  }

  get key(): string | null {
    if (this.keyText === undefined) this.keyText = this.message.key?.toString() ?? null;
    return this.keyText;
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.headerText ??= headersToStrings(this.message.headers));
  }
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The batch consumer every service runs. Per partition it reads a batch (`eachBatch`), decodes
 * it with the schema registry, hands it to the handler in chunks, and commits each chunk's
 * offsets only after the handler resolved — so effects are durable before the offset moves
 * (at-least-once; handlers are idempotent, so at-least-once is exactly-once in effect).
 *
 * - Undecodable messages and messages the handler rejects go to `<topic>.dlq` (Avro
 *   `DeadLetter` envelope plus `dlq-*` headers) before the commit, and the partition moves on.
 * - Retriable errors are retried with exponential backoff, a bounded number of times; after
 *   that the batch is given back to kafkajs uncommitted (it restarts the fetch), so a database
 *   outage never floods the DLQ. Other errors isolate the failing message (the chunk is replayed
 *   one message at a time) and dead-letter only it.
 * - `stop()` drains: no new chunk starts, the in-flight chunk finishes and commits, then the
 *   consumer leaves the group.
 */
interface MemberState {
  joined: boolean;
  crashed: boolean;
  lastFetchAt: number | undefined;
  lastHeartbeatAt: number | undefined;
  memberId: string | undefined;
  assignedPartitions: number;
}

export class BatchConsumer {
  private readonly subscriptions = new Map<string, Subscription>();
  private consumers: Consumer[] = [];
  /** Chunks being processed and committed right now; a drain waits for them. */
  private readonly inflight = new Set<Promise<void>>();
  private state = { running: false, draining: false };
  private members: MemberState[] = [];

  constructor(
    private readonly kafka: KafkaClient,
    private readonly producer: Producer,
    private readonly serde: AvroSerde,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
    readonly options: BatchConsumerOptions,
  ) {}

  subscribe<T>(subscription: Subscription<T>): void {
    if (this.state.running) throw new Error('subscribe before start()');
    this.subscriptions.set(subscription.topic, subscription as Subscription);
  }

  get topics(): string[] {
    return [...this.subscriptions.keys()];
  }

  /** All members together: joined when every one is, fetch and heartbeat ages of the stalest. */
  health(): ConsumerHealth {
    const m = this.members;
    const assigned = m.filter((x) => x.assignedPartitions > 0);
    const oldest = (pick: (x: MemberState) => number | undefined): number | undefined => {
      const times = assigned.map(pick);
      return times.length === 0 || times.includes(undefined)
        ? undefined
        : Math.min(...(times as number[]));
    };
    const ids = m.flatMap((x) => (x.memberId ? [x.memberId] : []));
    return {
      running: this.state.running,
      joined: m.length > 0 && m.every((x) => x.joined),
      crashed: m.some((x) => x.crashed),
      lastFetchAt: oldest((x) => x.lastFetchAt),
      lastHeartbeatAt: oldest((x) => x.lastHeartbeatAt),
      memberId: ids.length > 0 ? ids.join(',') : undefined,
      assignedPartitions: m.reduce((n, x) => n + x.assignedPartitions, 0),
    };
  }

  async start(): Promise<void> {
    if (this.subscriptions.size === 0) return;
    const o = this.options;
    for (const topic of this.subscriptions.keys()) {
      await retryTransient(() =>
        this.serde.registerValueSchema(dlqTopicName(topic), 'dead-letter'),
      );
    }
    // Every member connected and subscribed before any joins, then all join at once: members
    // that join together share the first generation (a member joining after the first has
    // started fetching makes the group rebalance while it works).
    const count = Math.max(1, o.members ?? 1);
    const members = await Promise.all(Array.from({ length: count }, () => this.connectMember()));
    await Promise.all(members.map((run) => run()));
    this.state.running = true;
  }

  /** Creates, connects and subscribes a member; the returned function joins and runs it. */
  private async connectMember(): Promise<() => Promise<void>> {
    const o = this.options;
    const consumer = this.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    const member: MemberState = {
      joined: false,
      crashed: false,
      lastFetchAt: undefined,
      lastHeartbeatAt: undefined,
      memberId: undefined,
      assignedPartitions: 0,
    };
    this.consumers.push(consumer);
    this.members.push(member);
    this.instrument(consumer, member);
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: o.fromBeginning });
    return () =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
        eachBatch: async (payload) => {
          const subscription = this.subscriptions.get(payload.batch.topic);
          if (!subscription) return;
          const work = this.consumeBatch(consumer, subscription, payload);
          this.inflight.add(work);
          try {
            await work;
          } finally {
            this.inflight.delete(work);
          }
        },
      });
  }

  /**
   * Processes a fetched batch chunk by chunk, then commits once after the last processed chunk:
   * every committed offset's effects are durable. A drain, a rebalance or an error stops before
   * the next chunk; what was processed is still committed.
   */
  private async consumeBatch(
    consumer: Consumer,
    subscription: Subscription,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    const { topic } = subscription;
    const size = this.options.maxChunkSize;
    let lastDone: KafkaMessage | undefined;
    try {
      for (let i = 0; i < batch.messages.length; i += size) {
        if (!payload.isRunning() || payload.isStale() || this.state.draining) break;
        const chunk = batch.messages.slice(i, i + size);
        const started = performance.now();
        await this.processChunk(subscription, batch.partition, chunk);
        lastDone = chunk[chunk.length - 1];
        this.metrics.batchDuration.observe({ topic }, (performance.now() - started) / 1000);
        if (i + size < batch.messages.length) await payload.heartbeat();
      }
    } finally {
      if (lastDone) {
        const commitOffset = nextOffset(lastDone.offset);
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: commitOffset }]);
        payload.resolveOffset(lastDone.offset);
        this.metrics.endToEndLatency.observe(
          { topic },
          Math.max(0, Date.now() - Number(lastDone.timestamp)) / 1000,
        );
        const lag = BigInt(batch.highWatermark) - BigInt(commitOffset);
        this.metrics.lag.set(
          { topic, partition: String(batch.partition) },
          Number(lag > 0n ? lag : 0n),
        );
      }
    }
  }

  /**
   * Drains and leaves the group: no new chunk starts, chunks in flight finish and commit their
   * offsets, then the consumer disconnects. Idempotent.
   */
  async stop(): Promise<void> {
    this.state.draining = true;
    if (this.consumers.length === 0) return;
    await Promise.allSettled([...this.inflight]);
    await Promise.all(this.consumers.map((c) => c.disconnect()));
    this.state.running = false;
    for (const m of this.members) m.joined = false;
    this.metrics.consumerUp.set({ group: this.options.groupId }, 0);
  }

  private instrument(consumer: Consumer, member: MemberState): void {
    const group = this.options.groupId;
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, (e) => {
      member.joined = true;
      member.crashed = false;
      member.memberId = e.payload.memberId;
      member.assignedPartitions = Object.values(e.payload.memberAssignment).reduce(
        (n, parts) => n + parts.length,
        0,
      );
      this.metrics.rebalances.inc({ group });
      this.metrics.consumerUp.set({ group }, 1);
      this.logger.info(
        { group, memberId: e.payload.memberId, assignment: e.payload.memberAssignment },
        'consumer joined group',
      );
    });
    consumer.on(events.FETCH_START, () => {
      member.lastFetchAt = Date.now();
    });
    consumer.on(events.HEARTBEAT, () => {
      member.lastHeartbeatAt = Date.now();
    });
    consumer.on(events.CRASH, (e) => {
      member.crashed = true;
      member.joined = false;
      this.metrics.consumerUp.set({ group }, 0);
      this.logger.error(
        { group, err: errorMessage(e.payload.error), restart: e.payload.restart },
        'consumer crashed',
      );
    });
    consumer.on(events.STOP, () => {
      member.joined = false;
      this.metrics.consumerUp.set({ group }, 0);
    });
  }

  private async processChunk(
    subscription: Subscription,
    partition: number,
    chunk: KafkaMessage[],
  ): Promise<void> {
    const { topic, schema } = subscription;
    const dead: DeadItem[] = [];
    const decoded: ConsumedMessage<unknown>[] = [];
    // Only needed to dead-letter what the handler rejects: built on first use.
    let index: Map<string, KafkaMessage> | undefined;
    const byOffset = (): Map<string, KafkaMessage> =>
      (index ??= new Map(chunk.map((m) => [m.offset, m])));

    if (!subscription.raw) await this.withRetry(topic, () => this.prefetchSchemas(chunk));
    for (const message of chunk) {
      if (subscription.raw) {
        decoded.push(new RawMessage(topic, partition, message));
        continue;
      }
      try {
        decoded.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString() : null,
          value: this.serde.decodeSync(message.value, schema),
          headers: headersToStrings(message.headers),
          timestamp: Number(message.timestamp),
        });
      } catch (err) {
        if (!(err instanceof PermanentMessageError)) throw err;
        dead.push({ message, reasonCode: err.reasonCode, error: err.message, attempts: 1 });
      }
    }

    if (decoded.length > 0) {
      const run = await this.runHandler(subscription, decoded);
      if (run.ok) {
        if (run.failures.length > 0)
          this.collectFailures(run.failures, byOffset(), dead, run.attempts);
      } else {
        this.logger.warn(
          { topic, partition, size: decoded.length, err: errorMessage(run.error) },
          'batch failed; isolating messages',
        );
        for (const one of decoded) {
          const single = await this.runHandler(subscription, [one]);
          if (single.ok) {
            this.collectFailures(single.failures, byOffset(), dead, run.attempts + single.attempts);
          } else {
            const original = byOffset().get(one.offset) as KafkaMessage;
            dead.push({
              message: original,
              reasonCode:
                single.error instanceof PermanentMessageError
                  ? single.error.reasonCode
                  : DlqReason.HANDLER_FAILED,
              error: errorMessage(single.error),
              attempts: run.attempts + single.attempts,
            });
          }
        }
      }
    }

    if (dead.length > 0) await this.sendToDlq(topic, partition, dead);
    const processed = chunk.length - dead.length;
    if (processed > 0) this.metrics.consumed.inc({ topic, outcome: 'processed' }, processed);
  }

  private collectFailures(
    failures: readonly MessageFailure[],
    byOffset: Map<string, KafkaMessage>,
    dead: DeadItem[],
    attempts: number,
  ): void {
    for (const f of failures) {
      const message = byOffset.get(f.offset);
      if (message) dead.push({ message, reasonCode: f.reasonCode, error: f.error, attempts });
    }
  }

  private async prefetchSchemas(chunk: KafkaMessage[]): Promise<void> {
    const ids = new Set<number>();
    for (const m of chunk) {
      if (this.serde.canDecodeSync(m.value)) continue;
      ids.add(AvroSerde.schemaIdOf(m.value));
    }
    for (const id of ids) {
      try {
        await this.serde.writerSchema(id);
      } catch (err) {
        // An unknown id is the message's problem (decodeSync classifies it); anything else retries.
        if (!(err instanceof PermanentMessageError)) throw err;
      }
    }
  }

  /** Runs the handler; retriable errors are retried with backoff and finally rethrown. */
  private async runHandler(
    subscription: Subscription,
    messages: ConsumedMessage<unknown>[],
  ): Promise<HandlerRun> {
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        const outcome = await subscription.handler(messages);
        return { ok: true, failures: outcome?.failures ?? [], attempts };
      } catch (err) {
        if (!isRetriable(err)) return { ok: false, error: err, attempts };
        if (attempts >= this.options.retryAttempts || this.state.draining) throw err;
        this.metrics.retries.inc({ topic: subscription.topic });
        const delay = this.backoff(attempts);
        this.logger.warn(
          { topic: subscription.topic, attempts, delayMs: delay, err: errorMessage(err) },
          'retriable handler error; retrying',
        );
        await sleep(delay);
      }
    }
  }

  private async withRetry<T>(topic: string, fn: () => Promise<T>): Promise<T> {
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        return await fn();
      } catch (err) {
        if (!isRetriable(err) || attempts >= this.options.retryAttempts || this.state.draining)
          throw err;
        this.metrics.retries.inc({ topic });
        await sleep(this.backoff(attempts));
      }
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(
      this.options.retryMaxMs,
      this.options.retryInitialMs * 2 ** (attempt - 1),
    );
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  private async sendToDlq(topic: string, partition: number, dead: DeadItem[]): Promise<void> {
    const dlqTopic = dlqTopicName(topic);
    const now = Date.now();
    const messages = dead.map(({ message, reasonCode, error, attempts }) => {
      const originalHeaders = headersToStrings(message.headers);
      const envelope: DeadLetter = {
        reasonCode,
        errorMessage: error.slice(0, ERROR_TEXT_MAX),
        originalTopic: topic,
        originalPartition: partition,
        originalOffset: Number(message.offset),
        originalTimestamp: Number(message.timestamp),
        originalKey: message.key ?? null,
        originalValue: message.value ?? null,
        originalHeaders,
        consumerGroup: this.options.groupId,
        attempts,
        failedAt: now,
      };
      this.logger.warn(
        {
          topic,
          partition,
          offset: message.offset,
          reasonCode,
          attempts,
          traceId: traceIdOf(originalHeaders),
          err: error.slice(0, 300),
        },
        'message dead-lettered',
      );
      return {
        key: message.key ?? null,
        value: this.serde.encode(dlqTopic, envelope),
        headers: {
          ...originalHeaders,
          'dlq-reason': reasonCode,
          'dlq-error': error.slice(0, ERROR_TEXT_MAX),
          'dlq-original-topic': topic,
          'dlq-original-partition': String(partition),
          'dlq-original-offset': message.offset,
          'dlq-attempts': String(attempts),
          'dlq-consumer-group': this.options.groupId,
        },
      };
    });
    await this.producer.send({ topic: dlqTopic, acks: -1, messages });
    for (const d of dead) {
      this.metrics.dlq.inc({ topic, reason: d.reasonCode });
      this.metrics.consumed.inc({ topic, outcome: 'dead_lettered' });
    }
  }
}
