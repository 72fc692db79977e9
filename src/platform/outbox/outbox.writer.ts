import { quoteIdent, type SqlExecutor } from '../database/sql.js';
import { type AvroSerde } from '../messaging/avro-serde.js';
import { physicalTopic, topicSpecByName } from '../messaging/topics.js';
import { type OutboxMessage } from './outbox.types.js';

/**
 * DDL for a service's outbox table; each service keeps one in its own PostgreSQL schema. Apply
 * `outboxEncodedValueDdl` after it (a later migration step, as it came later).
 */
export function outboxTableDdl(schema: string): string {
  const s = quoteIdent(schema);
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.outbox (
      id            bigserial PRIMARY KEY,
      event_id      uuid        NOT NULL UNIQUE,
      topic         text        NOT NULL,
      msg_key       text        NOT NULL,
      payload       jsonb       NOT NULL,
      headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
      created_at    timestamptz NOT NULL DEFAULT now(),
      published_at  timestamptz,
      attempts      integer     NOT NULL DEFAULT 0,
      last_error    text,
      next_attempt_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON ${s}.outbox (id) WHERE published_at IS NULL;
    CREATE INDEX IF NOT EXISTS outbox_published_at_idx ON ${s}.outbox (published_at) WHERE published_at IS NOT NULL;
  `;
}

/**
 * The `value` column (the event already encoded in the Confluent wire format, published as is)
 * beside the `payload` column (a record the relay encodes): idempotent, for outbox tables created
 * before it existed. Every row has one or the other.
 */
export function outboxEncodedValueDdl(schema: string): string {
  const s = quoteIdent(schema);
  return `
    ALTER TABLE ${s}.outbox ADD COLUMN IF NOT EXISTS value bytea;
    ALTER TABLE ${s}.outbox ALTER COLUMN payload DROP NOT NULL;
    ALTER TABLE ${s}.outbox DROP CONSTRAINT IF EXISTS outbox_payload_or_value;
    ALTER TABLE ${s}.outbox ADD CONSTRAINT outbox_payload_or_value
      CHECK (payload IS NOT NULL OR value IS NOT NULL);
  `;
}

/**
 * A small partial index of the rows that failed at least once and are not published yet — the
 * only rows whose keys the relay must hold back (retry backoff or parked). Without it, every relay
 * round of every lane scanned the whole unpublished backlog to find them (none, normally). Every
 * such row has `attempts > 0`: the relay sets attempts and next_attempt_at together. Idempotent.
 */
export function outboxRetryIndexDdl(schema: string): string {
  const s = quoteIdent(schema);
  return `
    CREATE INDEX IF NOT EXISTS outbox_retry_idx ON ${s}.outbox (msg_key)
      WHERE published_at IS NULL AND attempts > 0;
  `;
}

/**
 * Encodes outbox events when they are written (Avro, Confluent wire format, the schema id of the
 * topic's value subject), so the database stores bytes instead of parsing a jsonb document per
 * event and the relay publishes them without decoding or encoding anything. `prepare` registers
 * (or finds) the value schemas of the topics first.
 */
export class OutboxValueEncoder {
  constructor(
    private readonly serde: AvroSerde,
    private readonly topicPrefix: string,
  ) {}

  async prepare(topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      const spec = topicSpecByName(topic, '');
      if (!spec) throw new Error(`outbox topic ${topic} is not in the topic catalog`);
      await this.serde.registerValueSchema(
        physicalTopic(topic, this.topicPrefix),
        spec.valueSchema,
      );
    }
  }

  /** The message's value as published; throws when its topic was not prepared or it is invalid. */
  encode(message: OutboxMessage): Buffer {
    return this.serde.encode(physicalTopic(message.topic, this.topicPrefix), message.payload);
  }
}

/** The LISTEN/NOTIFY channel the relay of `schema` waits on. */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

/**
 * Appends events to the outbox inside the caller's transaction: pass the executor that holds
 * the transaction, so the events exist exactly when the state change they announce commits.
 * One set-based INSERT for the whole list; NOTIFY is delivered by PostgreSQL only on commit.
 */
export async function appendOutbox(
  db: SqlExecutor,
  schema: string,
  messages: readonly OutboxMessage[],
  encoder?: OutboxValueEncoder,
): Promise<void> {
  if (messages.length === 0) return;
  const s = quoteIdent(schema);
  if (encoder) {
    // Encoded first: an event that does not fit its schema fails the transaction here, before
    // anything is written, rather than parking in the relay.
    const values = messages.map((m) => encoder.encode(m));
    await db.query(
      `INSERT INTO ${s}.outbox (event_id, topic, msg_key, value, headers)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::jsonb[])`,
      [
        messages.map((m) => m.eventId),
        messages.map((m) => m.topic),
        messages.map((m) => m.key),
        values,
        messages.map((m) => (m.headers ? JSON.stringify(m.headers) : '{}')),
      ],
    );
    await db.query('SELECT pg_notify($1, $2)', [outboxChannel(schema), String(messages.length)]);
    return;
  }
  // One jsonb document rather than five arrays: PostgreSQL parses one value instead of 5×N.
  await db.query(
    `INSERT INTO ${s}.outbox (event_id, topic, msg_key, payload, headers)
     SELECT (m->>'eventId')::uuid, m->>'topic', m->>'key', m->'payload', coalesce(m->'headers', '{}'::jsonb)
       FROM jsonb_array_elements($1::jsonb) AS m`,
    [
      JSON.stringify(
        messages.map((m) => ({
          eventId: m.eventId,
          topic: m.topic,
          key: m.key,
          payload: m.payload,
          headers: m.headers ?? {},
        })),
      ),
    ],
  );
  await db.query('SELECT pg_notify($1, $2)', [outboxChannel(schema), String(messages.length)]);
}
