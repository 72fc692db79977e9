import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import {
  createTestPlatform,
  createTopics,
  readAll,
  uniqueName,
  type TestPlatform,
} from '../../../test/support/kafka.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { type LogLine } from '../schemas/generated.js';
import { TOPICS } from '../messaging/topics.js';
import { defaultRelayOptions, OutboxRelay } from './outbox.relay.js';
import {
  appendOutbox,
  outboxEncodedValueDdl,
  outboxRetryIndexDdl,
  OutboxValueEncoder,
  outboxTableDdl,
} from './outbox.writer.js';

const logical = TOPICS.logLines.name;

function line(key: string, seq: number): LogLine {
  return {
    eventId: randomUUID(),
    timestamp: Date.now(),
    source: key,
    host: null,
    level: null,
    message: String(seq),
    fields: {},
  };
}

describe('outbox relay on real PostgreSQL and Kafka', () => {
  let p: TestPlatform;
  let db: TestDatabase;
  let pool: pg.Pool;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    p = await createTestPlatform();
    db = await createTestDatabase('outbox');
    pool = db.pool(12);
    await pool.query(outboxTableDdl('svc'));
    await pool.query(outboxEncodedValueDdl('svc'));
    await pool.query(outboxRetryIndexDdl('svc'));
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await pool.query('TRUNCATE svc.outbox');
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
    await p.close();
  });

  async function prefixWithTopic(partitions = 3): Promise<string> {
    const prefix = `${uniqueName('ob')}.`;
    await createTopics(p.kafka, `${prefix}${logical}`, partitions, false);
    return prefix;
  }

  function relay(
    prefix: string,
    registry = new Registry(),
    overrides: Partial<typeof defaultRelayOptions> = {},
  ): OutboxRelay {
    const r = new OutboxRelay(pool, p.producer, p.serde, registry, p.logger, {
      ...defaultRelayOptions,
      pollIntervalMs: 200,
      ...overrides,
      schema: 'svc',
      topicPrefix: prefix,
    });
    relays.push(r);
    return r;
  }

  async function append(rows: LogLine[], commit = true): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await appendOutbox(
        client,
        'svc',
        rows.map((l) => ({ eventId: l.eventId, topic: logical, key: l.source, payload: { ...l } })),
      );
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    } finally {
      client.release();
    }
  }

  it('publishes committed rows once each, keyed, in per-key order across parallel lanes and two relays', async () => {
    const prefix = await prefixWithTopic();
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const rows: LogLine[] = [];
    for (let seq = 0; seq < 50; seq += 1) for (const k of keys) rows.push(line(k, seq));
    const registry = new Registry();
    await relay(prefix, registry).start();
    await relay(prefix, new Registry()).start(); // a second process: lanes are locked, nothing doubles
    for (let i = 0; i < rows.length; i += 100) await append(rows.slice(i, i + 100));
    await append([line('rolled-back', 0)], false);

    const events = await readAll(p.kafka, `${prefix}${logical}`, rows.length);
    await waitFor('all rows marked published', async () => {
      const { rows: r } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM svc.outbox WHERE published_at IS NULL',
      );
      return r[0]?.n === '0';
    });
    const decoded = await Promise.all(
      events.map(async (e) => ({
        key: e.key,
        partition: e.partition,
        offset: Number(e.offset),
        value: await p.serde.decode<LogLine>(e.value, 'log-line'),
        headers: e.headers,
      })),
    );
    expect(decoded).toHaveLength(rows.length);
    expect(new Set(decoded.map((d) => d.value.eventId)).size).toBe(rows.length);
    expect(decoded.some((d) => d.value.source === 'rolled-back')).toBe(false);
    for (const k of keys) {
      const ofKey = decoded.filter((d) => d.key === k).sort((a, b) => a.offset - b.offset);
      expect(new Set(ofKey.map((d) => d.partition)).size).toBe(1);
      expect(ofKey.map((d) => Number(d.value.message))).toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      );
      expect(ofKey[0]?.headers['event-id']).toBe(ofKey[0]?.value.eventId);
    }
    await waitFor('backlog gauge at 0', async () => {
      const text = await registry.getSingleMetricAsString('streamline_outbox_backlog_rows');
      return /streamline_outbox_backlog_rows\{schema="svc"\} 0/.test(text);
    });
  });

  it('stores events encoded by an OutboxValueEncoder as bytes and publishes them as they are', async () => {
    const prefix = await prefixWithTopic(2);
    const encoder = new OutboxValueEncoder(p.serde, prefix);
    await encoder.prepare([logical]);
    const rows = Array.from({ length: 40 }, (_, i) => line(`e${i % 5}`, i));
    const traced = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await appendOutbox(
        client,
        'svc',
        rows.map((l, i) => ({
          eventId: l.eventId,
          topic: logical,
          key: l.source,
          payload: { ...l },
          ...(i === 0 ? { headers: traced } : {}),
        })),
        encoder,
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const { rows: stored } = await pool.query<{ payload: unknown; value: Buffer | null }>(
      'SELECT payload, value FROM svc.outbox ORDER BY id',
    );
    expect(stored).toHaveLength(rows.length);
    expect(stored.every((r) => r.payload === null && r.value !== null)).toBe(true);
    // An event that does not fit its schema fails the writer's transaction, not the relay.
    const bad = await pool.connect();
    try {
      await bad.query('BEGIN');
      await expect(
        appendOutbox(
          bad,
          'svc',
          [{ eventId: randomUUID(), topic: logical, key: 'x', payload: { nonsense: true } }],
          encoder,
        ),
      ).rejects.toThrow(/invalid/);
    } finally {
      await bad.query('ROLLBACK');
      bad.release();
    }

    await relay(prefix).start();
    const events = await readAll(p.kafka, `${prefix}${logical}`, rows.length);
    const decoded = await Promise.all(
      events.map(async (e) => ({
        key: e.key,
        value: await p.serde.decode<LogLine>(e.value, 'log-line'),
        headers: e.headers,
      })),
    );
    expect(
      decoded.map((d) => d.value).sort((a, b) => Number(a.message) - Number(b.message)),
    ).toEqual(rows);
    const first = decoded.find((d) => d.value.eventId === rows[0]?.eventId);
    expect(first?.headers.traceparent).toBe(traced.traceparent);
    expect(first?.headers['event-id']).toBe(rows[0]?.eventId);
  });

  it('holds back only the key of a row that cannot be published, then parks it', async () => {
    const prefix = await prefixWithTopic(1);
    const registry = new Registry();
    await relay(prefix, registry, { maxAttempts: 2 }).start();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await appendOutbox(client, 'svc', [
        { eventId: randomUUID(), topic: logical, key: 'bad', payload: { nonsense: true } },
        { eventId: randomUUID(), topic: logical, key: 'bad', payload: { ...line('bad', 1) } },
        ...Array.from({ length: 20 }, (_, i) => ({
          eventId: randomUUID(),
          topic: logical,
          key: `good${i % 4}`,
          payload: { ...line(`good${i % 4}`, i) },
        })),
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const events = await readAll(p.kafka, `${prefix}${logical}`, 20);
    expect(events.every((e) => e.key?.startsWith('good'))).toBe(true);
    await waitFor(
      'poison row parked',
      async () => {
        const { rows } = await pool.query<{ attempts: number; last_error: string }>(
          "SELECT attempts, last_error FROM svc.outbox WHERE msg_key = 'bad' AND published_at IS NULL ORDER BY id",
        );
        return rows.length === 2 && rows[0]?.attempts === 2 ? rows : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const { rows } = await pool.query<{ attempts: number }>(
      "SELECT attempts FROM svc.outbox WHERE msg_key = 'bad' ORDER BY id",
    );
    // The row behind the poison row of the same key was never attempted: order is kept.
    expect(rows.map((r) => r.attempts)).toEqual([2, 0]);
    await waitFor('parked gauge', async () =>
      /streamline_outbox_parked_rows\{schema="svc"\} 1/.test(
        await registry.getSingleMetricAsString('streamline_outbox_parked_rows'),
      ),
    );
  });
});
