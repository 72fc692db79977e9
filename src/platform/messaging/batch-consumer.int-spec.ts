import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import avro from 'avsc';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import {
  createTestPlatform,
  createTopics,
  readAll,
  uniqueName,
  type TestPlatform,
} from '../../../test/support/kafka.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { type DeadLetter, type LogLine } from '../schemas/generated.js';
import { AvroSerde } from './avro-serde.js';
import { BatchConsumer, defaultConsumerOptions, type ConsumedMessage } from './batch-consumer.js';
import { DlqReason, RetriableError } from './errors.js';
import { EventPublisher } from './publisher.js';
import { dlqTopicName } from './topics.js';

const repoRoot = join(import.meta.dirname, '../../..');

function logLine(i: number, message = `line ${i}`): LogLine {
  return {
    eventId: randomUUID(),
    timestamp: Date.now(),
    source: 'test',
    host: `h${i % 3}`,
    level: 'INFO',
    message,
    fields: { i: String(i) },
  };
}

describe('batch consumer on the real broker and registry', () => {
  let p: TestPlatform;
  let db: TestDatabase;
  let pool: pg.Pool;
  const consumers: BatchConsumer[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    p = await createTestPlatform();
    db = await createTestDatabase('msg');
    pool = db.pool(4);
    await pool.query(
      'CREATE TABLE deliveries (event_id text NOT NULL, pid int NOT NULL, msg_offset bigint NOT NULL)',
    );
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await pool.query('TRUNCATE deliveries');
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
    await p.close();
  });

  async function setupTopic(partitions = 1): Promise<string> {
    const topic = uniqueName('it.logs');
    await createTopics(p.kafka, topic, partitions);
    await p.serde.registerValueSchema(topic, 'log-line');
    return topic;
  }

  function consumer(
    group = uniqueName('g'),
    overrides: Partial<typeof defaultConsumerOptions> = {},
  ): BatchConsumer {
    const c = new BatchConsumer(p.kafka, p.producer, p.serde, p.metrics, p.logger, {
      ...defaultConsumerOptions,
      retryInitialMs: 20,
      ...overrides,
      groupId: group,
    });
    consumers.push(c);
    return c;
  }

  async function committedOffset(group: string, topic: string): Promise<number> {
    const admin = p.kafka.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (entry?.partitions ?? []).reduce(
        (sum, part) => sum + Math.max(0, Number(part.offset)),
        0,
      );
    } finally {
      await admin.disconnect();
    }
  }

  async function dlqRecords(
    topic: string,
    n: number,
  ): Promise<Array<{ headers: Record<string, string>; envelope: DeadLetter }>> {
    const records = await readAll(p.kafka, dlqTopicName(topic), n);
    return Promise.all(
      records.map(async (r) => ({
        headers: r.headers,
        envelope: await p.serde.decode<DeadLetter>(r.value, 'dead-letter'),
      })),
    );
  }

  it('decodes what our publisher produced, in partition order, and commits after the handler', async () => {
    const topic = await setupTopic(3);
    const lines = Array.from({ length: 300 }, (_, i) => logLine(i));
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: l.host ?? null, value: l })),
    );
    const seen: ConsumedMessage<LogLine>[] = [];
    const group = uniqueName('g');
    const c = consumer(group);
    c.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => void seen.push(...batch),
    });
    await c.start();
    await waitFor('all 300 consumed', () => seen.length >= 300);
    await waitFor('offsets committed', async () => (await committedOffset(group, topic)) === 300);
    expect(seen).toHaveLength(300);
    expect(new Set(seen.map((m) => m.value.eventId))).toEqual(new Set(lines.map((l) => l.eventId)));
    // Per key (host) the order of production is kept.
    for (const host of ['h0', 'h1', 'h2']) {
      const produced = lines.filter((l) => l.host === host).map((l) => l.eventId);
      expect(seen.filter((m) => m.value.host === host).map((m) => m.value.eventId)).toEqual(
        produced,
      );
    }
    expect(seen[0]?.value).toEqual(lines.find((l) => l.eventId === seen[0]?.value.eventId));
  });

  it('runs several members in one group: partitions split between them, every message once', async () => {
    const topic = await setupTopic(4);
    const lines = Array.from({ length: 400 }, (_, i) => logLine(i));
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: l.eventId, value: l })),
    );
    const seen: ConsumedMessage<LogLine>[] = [];
    const group = uniqueName('g');
    const c = consumer(group, { members: 2 });
    c.subscribe<LogLine>({ topic, schema: 'log-line', handler: async (b) => void seen.push(...b) });
    await c.start();
    await waitFor('offsets committed', async () => (await committedOffset(group, topic)) === 400);
    // After the second member's join (a rebalance) the four partitions are split, not doubled.
    const h = await waitFor('both members joined, partitions split', () => {
      const now = c.health();
      return now.joined && now.assignedPartitions === 4 && now.memberId?.split(',').length === 2
        ? now
        : undefined;
    });
    expect(h.crashed).toBe(false);
    expect(seen.map((m) => m.value.eventId).sort()).toEqual(lines.map((l) => l.eventId).sort());
  });

  it('hands values over undecoded to a raw subscription and dead-letters what it reports', async () => {
    const topic = await setupTopic();
    const good = logLine(1);
    await p.producer.send({
      topic,
      messages: [
        { key: 'k', value: p.serde.encode(topic, good), headers: { traceparent: 'tp-1' } },
        { key: 'k', value: Buffer.from('junk') },
      ],
    });
    const seen: ConsumedMessage<Buffer | null>[] = [];
    const c = consumer();
    c.subscribe<Buffer | null>({
      topic,
      schema: 'log-line',
      raw: true,
      handler: async (batch) => {
        seen.push(...batch);
        const bad = batch.filter((m) => m.value?.[0] !== 0);
        return {
          failures: bad.map((m) => ({
            offset: m.offset,
            reasonCode: 'TEST.RAW',
            error: 'no magic',
          })),
        };
      },
    });
    await c.start();
    const [letter] = await dlqRecords(topic, 1);
    expect(letter!.headers['dlq-reason']).toBe('TEST.RAW');
    expect(seen).toHaveLength(2);
    expect(Buffer.isBuffer(seen[0]!.value)).toBe(true);
    // Key and headers are decoded when read, the same as for a decoded subscription.
    expect(seen.map((m) => [m.key, m.headers, m.partition, m.topic])).toEqual([
      ['k', { traceparent: 'tp-1' }, 0, topic],
      ['k', {}, 0, topic],
    ]);
    expect(seen[1]!.offset).toBe((BigInt(seen[0]!.offset) + 1n).toString());
    expect(seen[0]!.timestamp).toBeGreaterThan(Date.now() - 600_000);
    expect(await p.serde.decode<LogLine>(seen[0]!.value, 'log-line')).toEqual(good);
  });

  it('dead-letters a bad magic byte, an unknown schema id and a truncated body, and moves on', async () => {
    const topic = await setupTopic();
    const good = [logLine(1), logLine(2)];
    const valid = p.serde.encode(topic, good[0]);
    const badMagic = Buffer.from([1, 0, 0, 0, 1, 2, 3]);
    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), valid.subarray(5)]);
    const truncated = valid.subarray(0, valid.length - 8);
    await p.producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'a', value: valid },
        { key: 'b', value: badMagic },
        { key: 'c', value: unknownId },
        { key: 'd', value: truncated },
        { key: 'e', value: p.serde.encode(topic, good[1]) },
      ],
    });
    const seen: LogLine[] = [];
    const group = uniqueName('g');
    const c = consumer(group);
    c.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => void seen.push(...batch.map((m) => m.value)),
    });
    await c.start();
    await waitFor('two good messages', () => seen.length >= 2);
    await waitFor('all five committed', async () => (await committedOffset(group, topic)) === 5);
    expect(seen.map((l) => l.eventId)).toEqual(good.map((l) => l.eventId));
    const dead = await dlqRecords(topic, 3);
    expect(dead.map((d) => d.headers['dlq-reason']).sort()).toEqual(
      [DlqReason.BAD_MAGIC_BYTE, DlqReason.TRUNCATED, DlqReason.UNKNOWN_SCHEMA_ID].sort(),
    );
    const byReason = new Map(dead.map((d) => [d.envelope.reasonCode, d]));
    expect(byReason.get(DlqReason.BAD_MAGIC_BYTE)?.envelope.originalValue).toEqual(badMagic);
    expect(byReason.get(DlqReason.TRUNCATED)?.envelope.originalValue).toEqual(truncated);
    expect(byReason.get(DlqReason.UNKNOWN_SCHEMA_ID)?.headers).toMatchObject({
      'dlq-original-topic': topic,
      'dlq-original-partition': '0',
      'dlq-original-offset': '2',
      'dlq-attempts': '1',
    });
    expect(byReason.get(DlqReason.UNKNOWN_SCHEMA_ID)?.envelope).toMatchObject({
      originalTopic: topic,
      originalOffset: 2,
      consumerGroup: group,
    });
  });

  it('retries a transient failure without duplicating effects', async () => {
    const topic = await setupTopic();
    const lines = Array.from({ length: 50 }, (_, i) => logLine(i));
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: null, value: l })),
    );
    let calls = 0;
    const before =
      (await p.metrics.retries.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
    const c = consumer();
    c.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => {
        calls += 1;
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(
            'INSERT INTO deliveries (event_id, pid, msg_offset) SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])',
            [batch.map((m) => m.value.eventId), batch.map(() => calls), batch.map((m) => m.offset)],
          );
          // The first two attempts lose their connection after writing: the transaction rolls back.
          if (calls <= 2) throw new RetriableError('simulated connection loss before commit');
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        } finally {
          client.release();
        }
      },
    });
    await c.start();
    await waitFor('50 effects', async () => (await deliveries()).total >= 50);
    const { rows } = await pool.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM deliveries',
    );
    expect(rows[0]).toEqual({ n: '50', d: '50' });
    expect(calls).toBeGreaterThanOrEqual(3);
    const after =
      (await p.metrics.retries.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
    expect(after - before).toBe(2);
  });

  it('isolates a permanently failing message to the DLQ and processes its neighbours once', async () => {
    const topic = await setupTopic();
    const lines = Array.from({ length: 20 }, (_, i) =>
      logLine(i, i === 7 ? 'poison' : `line ${i}`),
    );
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: null, value: l })),
    );
    const effects: string[] = [];
    const c = consumer();
    c.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => {
        if (batch.some((m) => m.value.message === 'poison'))
          throw new Error('cannot handle poison');
        effects.push(...batch.map((m) => m.value.eventId));
      },
    });
    await c.start();
    const dead = await dlqRecords(topic, 1);
    await waitFor('19 effects', () => effects.length >= 19);
    expect(dead[0]?.envelope.reasonCode).toBe(DlqReason.HANDLER_FAILED);
    expect(dead[0]?.envelope.errorMessage).toBe('cannot handle poison');
    expect(dead[0]?.envelope.originalOffset).toBe(7);
    expect(effects.sort()).toEqual(
      lines
        .filter((_, i) => i !== 7)
        .map((l) => l.eventId)
        .sort(),
    );
  });

  it('sends messages the handler reports as invalid to the DLQ with its reason code', async () => {
    const topic = await setupTopic();
    const lines = [logLine(0), logLine(1, ''), logLine(2)];
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: null, value: l })),
    );
    const ok: string[] = [];
    const c = consumer();
    c.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => {
        const failures = batch
          .filter((m) => m.value.message === '')
          .map((m) => ({
            offset: m.offset,
            reasonCode: DlqReason.VALIDATION,
            error: 'message: must not be empty',
          }));
        ok.push(...batch.filter((m) => m.value.message !== '').map((m) => m.value.eventId));
        return { failures };
      },
    });
    await c.start();
    const dead = await dlqRecords(topic, 1);
    expect(dead[0]?.headers['dlq-reason']).toBe(DlqReason.VALIDATION);
    expect(dead[0]?.headers['dlq-error']).toBe('message: must not be empty');
    await waitFor('two valid', () => ok.length >= 2);
    expect(ok).toEqual([lines[0]?.eventId, lines[2]?.eventId]);
  });

  function startChild(topic: string, group: string, mode: string): ChildProcess {
    const child = fork(
      join(repoRoot, 'test/support/consumer-child.ts'),
      [topic, group, db.url, mode],
      {
        execArgv: ['--import', 'tsx'],
        cwd: repoRoot,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: process.env,
      },
    );
    children.push(child);
    return child;
  }

  function exitOf(
    child: ChildProcess,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  async function deliveries(): Promise<{ total: number; distinct: number }> {
    const { rows } = await pool.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM deliveries',
    );
    return { total: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
  }

  it('redelivers to a restarted consumer what a killed one processed but did not commit', async () => {
    const topic = await setupTopic();
    const lines = Array.from({ length: 5 }, (_, i) => logLine(i));
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: null, value: l })),
    );
    const group = uniqueName('g');
    const child = startChild(topic, group, 'kill-before-commit');
    expect(await exitOf(child)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await deliveries()).toEqual({ total: 5, distinct: 5 });
    expect(await committedOffset(group, topic)).toBe(0);

    const again: string[] = [];
    const c = consumer(group);
    c.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => void again.push(...batch.map((m) => m.value.eventId)),
    });
    await c.start();
    await waitFor('redelivery of all five', () => again.length >= 5);
    expect(again).toEqual(lines.map((l) => l.eventId));
  });

  it('loses nothing and doubles nothing when SIGTERM lands mid-batch', async () => {
    const topic = await setupTopic(2);
    const lines = Array.from({ length: 1500 }, (_, i) => logLine(i));
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      lines.map((l) => ({ key: `k${lines.indexOf(l) % 10}`, value: l })),
    );
    const group = uniqueName('g');
    const first = startChild(topic, group, 'slow');
    await waitFor('first consumer mid-stream', async () => (await deliveries()).total >= 200, {
      timeoutMs: 60_000,
    });
    first.kill('SIGTERM');
    expect(await exitOf(first)).toEqual({ code: 0, signal: null });
    const atStop = await deliveries();
    expect(atStop.total).toBeLessThan(1500);
    // Everything the first consumer processed was committed during the drain.
    expect(await committedOffset(group, topic)).toBe(atStop.total);

    const second = startChild(topic, group, 'normal');
    await waitFor('all 1500 delivered', async () => (await deliveries()).total >= 1500, {
      timeoutMs: 60_000,
    });
    second.kill('SIGTERM');
    await exitOf(second);
    expect(await deliveries()).toEqual({ total: 1500, distinct: 1500 });
  });

  it('decodes a message written with an older compatible schema into the current reader type', async () => {
    // An upstream producer still on v0 of the schema: no `fields` map yet.
    const v0 = JSON.parse(
      JSON.stringify(
        avro.Type.forSchema(JSON.parse(await schemaText('log-line')) as avro.Schema).schema(),
      ),
    ) as { fields: Array<{ name: string }> };
    v0.fields = v0.fields.filter((f) => f.name !== 'fields');
    const serde = new AvroSerde(p.serde.registry);
    const { id } = await p.serde.registry.register(
      { type: 'AVRO' as never, schema: JSON.stringify(v0) },
      { subject: uniqueName('old-producer') + '-value' },
    );
    const body = avro.Type.forSchema(v0 as avro.Schema).toBuffer({
      eventId: randomUUID(),
      timestamp: 1,
      source: 's',
      host: null,
      level: null,
      message: 'old',
    });
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    framed.writeUInt32BE(id, 1);
    const decoded = await serde.decode<LogLine>(framed, 'log-line');
    expect(decoded).toMatchObject({ message: 'old', fields: {} });
  });
});

async function schemaText(name: string): Promise<string> {
  const { SCHEMA_TEXTS } = await import('../schemas/generated.js');
  return SCHEMA_TEXTS[name as keyof typeof SCHEMA_TEXTS];
}
