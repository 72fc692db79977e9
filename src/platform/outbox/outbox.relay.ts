import { type Producer } from 'kafkajs';
import type pg from 'pg';
import { type Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { quoteIdent } from '../database/sql.js';
import { type AvroSerde } from '../messaging/avro-serde.js';
import { errorMessage } from '../messaging/errors.js';
import { physicalTopic, topicSpecByName } from '../messaging/topics.js';
import { outboxChannel } from './outbox.writer.js';

export interface OutboxRelayOptions {
  /** PostgreSQL schema holding the service's `outbox` table. */
  readonly schema: string;
  /** Parallel relay lanes; a key always maps to the same lane, so per-key order holds. */
  readonly lanes: number;
  /** Most rows one lane publishes per round. */
  readonly batchSize: number;
  /** Fallback poll when no NOTIFY arrives, ms. */
  readonly pollIntervalMs: number;
  /** Attempts before a row is parked (its key stops until an operator acts). */
  readonly maxAttempts: number;
  /** Published rows older than this are deleted, hours. */
  readonly retentionHours: number;
  readonly topicPrefix: string;
}

export const defaultRelayOptions: Omit<OutboxRelayOptions, 'schema'> = {
  lanes: 4,
  batchSize: 1000,
  pollIntervalMs: 1000,
  maxAttempts: 10,
  retentionHours: 24,
  topicPrefix: '',
};

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  msg_key: string;
  /** The record to encode, or null when the row carries its encoded `value`. */
  payload: Record<string, unknown> | null;
  value: Buffer | null;
  headers: Record<string, string>;
  attempts: number;
}

class RelayMetrics {
  readonly published: Counter<'schema' | 'topic'>;
  readonly failures: Counter<'schema' | 'kind'>;
  readonly backlog: Gauge<'schema'>;
  readonly oldestAge: Gauge<'schema'>;
  readonly parked: Gauge<'schema'>;

  constructor(registry: Registry) {
    const get = <T>(name: string, make: () => T): T =>
      (registry.getSingleMetric(name) as T | undefined) ?? make();
    this.published = get(
      'streamline_outbox_published_total',
      () =>
        new Counter({
          name: 'streamline_outbox_published_total',
          help: 'Outbox rows published to Kafka, by schema and topic.',
          labelNames: ['schema', 'topic'],
          registers: [registry],
        }),
    );
    this.failures = get(
      'streamline_outbox_publish_failures_total',
      () =>
        new Counter({
          name: 'streamline_outbox_publish_failures_total',
          help: 'Failed publish attempts: kind=row (one row could not be encoded or sent), kind=batch (the broker refused a round).',
          labelNames: ['schema', 'kind'],
          registers: [registry],
        }),
    );
    this.backlog = get(
      'streamline_outbox_backlog_rows',
      () =>
        new Gauge({
          name: 'streamline_outbox_backlog_rows',
          help: 'Outbox rows not yet published.',
          labelNames: ['schema'],
          registers: [registry],
        }),
    );
    this.oldestAge = get(
      'streamline_outbox_oldest_unpublished_age_seconds',
      () =>
        new Gauge({
          name: 'streamline_outbox_oldest_unpublished_age_seconds',
          help: 'Age of the oldest unpublished outbox row (0 when none).',
          labelNames: ['schema'],
          registers: [registry],
        }),
    );
    this.parked = get(
      'streamline_outbox_parked_rows',
      () =>
        new Gauge({
          name: 'streamline_outbox_parked_rows',
          help: 'Outbox rows parked after exhausting their attempts.',
          labelNames: ['schema'],
          registers: [registry],
        }),
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes a service's outbox to Kafka (Debezium outbox-router semantics: the row's key is the
 * Kafka key, so per-aggregate order holds downstream).
 *
 * - Lanes: keys are hashed onto `lanes` workers; each lane publishes its rows in id order, so
 *   per-key order holds while lanes run in parallel. Each lane holds a PostgreSQL advisory lock,
 *   so several relay processes can run without two publishing the same lane.
 * - No head-of-line blocking: a row that fails (cannot be encoded, rejected by the broker) is
 *   retried with backoff, and only its own key waits behind it; other keys keep flowing. After
 *   `maxAttempts` it is parked and its key stops (order is never broken) until an operator acts.
 * - Woken by LISTEN/NOTIFY on commit of new rows, with polling as the fallback.
 * - At-least-once: a crash between the broker's ack and marking rows published re-sends them;
 *   every event carries its event id for consumer-side de-duplication.
 * - Published rows are deleted after `retentionHours`.
 */
export class OutboxRelay {
  private readonly metrics: RelayMetrics;
  private readonly table: string;
  private running = false;
  private listener: pg.PoolClient | undefined;
  private readonly lanes: Array<Promise<void>> = [];
  private readonly wakers = new Set<() => void>();
  /** Bumped by every NOTIFY; a lane that saw it change during a round does not wait. */
  private wakeSeq = 0;
  private readonly preparedTopics = new Set<string>();
  private housekeeping: NodeJS.Timeout | undefined;
  private lastRoundAt = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly producer: Producer,
    private readonly serde: AvroSerde,
    registry: Registry,
    private readonly logger: Logger,
    readonly options: OutboxRelayOptions,
  ) {
    this.metrics = new RelayMetrics(registry);
    this.table = `${quoteIdent(options.schema)}.outbox`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.listener = await this.pool.connect();
    this.listener.on('notification', () => this.wakeAll());
    await this.listener.query(`LISTEN ${quoteIdent(outboxChannel(this.options.schema))}`);
    for (let lane = 0; lane < this.options.lanes; lane += 1) this.lanes.push(this.runLane(lane));
    this.housekeeping = setInterval(() => void this.housekeep(), 5000);
    await this.housekeep();
    this.logger.info(
      { schema: this.options.schema, lanes: this.options.lanes },
      'outbox relay started',
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.housekeeping);
    this.wakeAll();
    await Promise.allSettled(this.lanes);
    this.lanes.length = 0;
    if (this.listener) {
      await this.listener
        .query(`UNLISTEN ${quoteIdent(outboxChannel(this.options.schema))}`)
        .catch(() => undefined);
      this.listener.release();
      this.listener = undefined;
    }
  }

  /** For readiness: the relay loops and its last round is recent. */
  health(): { running: boolean; lastRoundAgeMs: number } {
    return { running: this.running, lastRoundAgeMs: Date.now() - this.lastRoundAt };
  }

  private wakeAll(): void {
    this.wakeSeq += 1;
    for (const wake of [...this.wakers]) wake();
  }

  private waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async runLane(lane: number): Promise<void> {
    let failures = 0;
    while (this.running) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1), $2) AS locked',
          [this.table, lane],
        );
        if (!rows[0]?.locked) {
          // Another relay process owns this lane; check again later.
          client.release();
          client = undefined;
          await this.waitForWake(this.options.pollIntervalMs * 5);
          continue;
        }
        try {
          while (this.running) {
            const seqBefore = this.wakeSeq;
            const published = await this.round(client, lane);
            this.lastRoundAt = Date.now();
            failures = 0;
            // Rows committed during the round announced themselves then: look again at once.
            if (published < this.options.batchSize && this.wakeSeq === seqBefore) {
              await this.waitForWake(this.options.pollIntervalMs);
            }
          }
        } finally {
          await client
            .query('SELECT pg_advisory_unlock(hashtext($1), $2)', [this.table, lane])
            .catch(() => undefined);
        }
      } catch (err) {
        failures += 1;
        this.metrics.failures.inc({ schema: this.options.schema, kind: 'batch' });
        const delay = Math.min(10_000, 100 * 2 ** Math.min(failures, 7));
        this.logger.warn(
          { lane, err: errorMessage(err), delayMs: delay },
          'outbox relay round failed; backing off',
        );
        await sleep(delay);
      } finally {
        client?.release();
      }
    }
  }

  /** Publishes one batch of the lane's rows; returns how many rows it looked at. */
  private async round(client: pg.PoolClient, lane: number): Promise<number> {
    const { rows } = await client.query<OutboxRow>(
      `SELECT id, event_id, topic, msg_key, payload, value, headers, attempts
         FROM ${this.table} o
        WHERE published_at IS NULL
          AND mod(abs(hashtext(msg_key)), $1::int) = $2
          AND msg_key NOT IN (
                SELECT msg_key FROM ${this.table}
                 WHERE published_at IS NULL
                   AND attempts > 0
                   AND (next_attempt_at > now() OR attempts >= $4)
                   AND mod(abs(hashtext(msg_key)), $1::int) = $2)
        ORDER BY id
        LIMIT $3`,
      [this.options.lanes, lane, this.options.batchSize, this.options.maxAttempts],
    );
    if (rows.length === 0) return 0;

    // Rows arrive in id order: once a key's row fails, its later rows wait for the next round,
    // so per-key order holds while every other key flows.
    const blockedKeys = new Set<string>();
    const failed: Array<{ id: string; error: string }> = [];
    const byTopic = new Map<
      string,
      Array<{ key: string; value: Buffer; headers: Record<string, string> }>
    >();
    const sentIds: string[] = [];
    for (const row of rows) {
      if (blockedKeys.has(row.msg_key)) continue;
      const topic = physicalTopic(row.topic, this.options.topicPrefix);
      try {
        await this.prepare(topic);
        // Rows written with an OutboxValueEncoder carry their encoded value; others a record.
        const value = row.value ?? this.serde.encode(topic, row.payload);
        const list = byTopic.get(topic) ?? [];
        list.push({
          key: row.msg_key,
          value,
          headers: { ...row.headers, 'event-id': row.event_id },
        });
        byTopic.set(topic, list);
        sentIds.push(row.id);
      } catch (err) {
        blockedKeys.add(row.msg_key);
        failed.push({ id: row.id, error: errorMessage(err) });
      }
    }
    if (sentIds.length > 0) {
      const topicMessages = [...byTopic.entries()].map(([topic, messages]) => ({
        topic,
        messages,
      }));
      await this.producer.sendBatch({ acks: -1, topicMessages });
      await client.query(
        `UPDATE ${this.table} SET published_at = now() WHERE id = ANY($1::bigint[])`,
        [sentIds],
      );
      for (const { topic, messages } of topicMessages) {
        this.metrics.published.inc({ schema: this.options.schema, topic }, messages.length);
      }
    }
    if (failed.length > 0) {
      this.metrics.failures.inc({ schema: this.options.schema, kind: 'row' }, failed.length);
      await client.query(
        `UPDATE ${this.table} o
            SET attempts = o.attempts + 1,
                last_error = f.error,
                next_attempt_at = now() + make_interval(secs => least(300, power(2, o.attempts + 1)) / 10.0)
           FROM unnest($1::bigint[], $2::text[]) AS f(id, error)
          WHERE o.id = f.id`,
        [failed.map((f) => f.id), failed.map((f) => f.error.slice(0, 2000))],
      );
      this.logger.warn(
        { schema: this.options.schema, failed: failed.length, first: failed[0]?.error },
        'outbox rows failed to publish',
      );
    }
    return rows.length;
  }

  private async prepare(topic: string): Promise<void> {
    if (this.preparedTopics.has(topic)) return;
    const spec = topicSpecByName(topic, this.options.topicPrefix);
    if (!spec) throw new Error(`outbox topic ${topic} is not in the topic catalog`);
    await this.serde.registerValueSchema(topic, spec.valueSchema);
    this.preparedTopics.add(topic);
  }

  private async housekeep(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{
        backlog: string;
        age: number | null;
        parked: string;
      }>(
        `SELECT count(*) AS backlog,
                extract(epoch FROM now() - min(created_at))::float8 AS age,
                count(*) FILTER (WHERE attempts >= $1) AS parked
           FROM ${this.table} WHERE published_at IS NULL`,
        [this.options.maxAttempts],
      );
      const r = rows[0];
      this.metrics.backlog.set({ schema: this.options.schema }, Number(r?.backlog ?? 0));
      this.metrics.oldestAge.set({ schema: this.options.schema }, r?.age ?? 0);
      this.metrics.parked.set({ schema: this.options.schema }, Number(r?.parked ?? 0));
      await this.pool.query(
        `DELETE FROM ${this.table} WHERE id IN (
           SELECT id FROM ${this.table}
            WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => $1)
            LIMIT 10000)`,
        [this.options.retentionHours],
      );
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'outbox housekeeping failed');
    }
  }
}
