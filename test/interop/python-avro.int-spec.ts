import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BatchConsumer,
  defaultConsumerOptions,
} from '../../src/platform/messaging/batch-consumer.js';
import { EventPublisher } from '../../src/platform/messaging/publisher.js';
import { type LogLine } from '../../src/platform/schemas/generated.js';
import {
  createTestPlatform,
  createTopics,
  uniqueName,
  type TestPlatform,
} from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../..');
const script = join(import.meta.dirname, 'avro_interop.py');
const python = '/usr/bin/python3';

/**
 * Same wire format, same subjects as an independent client: Confluent's Python client
 * (`AvroProducer` / `AvroConsumer`, Debian's python3-confluent-kafka) against the same broker
 * and registry.
 */
describe('Avro interop with confluent-kafka-python', () => {
  let p: TestPlatform;
  const consumers: BatchConsumer[] = [];
  const brokers = (): string => process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const registry = (): string =>
    process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

  beforeAll(async () => {
    p = await createTestPlatform();
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await p.close();
  });

  function lines(n: number): LogLine[] {
    return Array.from({ length: n }, (_, i) => ({
      eventId: randomUUID(),
      timestamp: 1_700_000_000_000 + i,
      source: `src-${i % 2}`,
      host: i % 2 === 0 ? `host-${i}` : null,
      level: 'ERROR',
      message: `message ${i} — ünïcødé ✓`,
      fields: { i: String(i) },
    }));
  }

  it('decodes in our consumer what the Python AvroProducer wrote', async () => {
    const topic = uniqueName('it.py-to-ts');
    await createTopics(p.kafka, topic, 2);
    const records = lines(10);
    const dir = mkdtempSync(join(tmpdir(), 'interop-'));
    writeFileSync(join(dir, 'records.json'), JSON.stringify(records));
    await run(python, [
      script,
      'produce',
      brokers(),
      registry(),
      topic,
      join(repoRoot, 'schemas/log-line.avsc'),
      join(dir, 'records.json'),
    ]);

    const seen: LogLine[] = [];
    const consumer = new BatchConsumer(p.kafka, p.producer, p.serde, p.metrics, p.logger, {
      ...defaultConsumerOptions,
      groupId: uniqueName('g'),
    });
    consumers.push(consumer);
    consumer.subscribe<LogLine>({
      topic,
      schema: 'log-line',
      handler: async (batch) => void seen.push(...batch.map((m) => m.value)),
    });
    await consumer.start();
    await waitFor('10 records from Python', () => seen.length >= 10);
    const byId = new Map(seen.map((l) => [l.eventId, l]));
    for (const r of records) expect(byId.get(r.eventId)).toEqual(r);
    // Python registered under the same subject our bootstrap uses: <topic>-value.
    const res = await fetch(`${registry()}/subjects/${topic}-value/versions/latest`);
    expect(res.status).toBe(200);
  });

  it('is decoded by the Python AvroConsumer when our publisher wrote it', async () => {
    const topic = uniqueName('it.ts-to-py');
    await createTopics(p.kafka, topic, 1);
    await p.serde.registerValueSchema(topic, 'log-line');
    const records = lines(10);
    // Null keys: the stock AvroConsumer decodes keys as Avro too, and ours are plain strings.
    await new EventPublisher(p.producer, p.serde).publish(
      topic,
      records.map((r) => ({ key: null, value: r })),
    );
    const { stdout } = await run(
      python,
      [script, 'consume', brokers(), registry(), topic, uniqueName('py'), '10', '60'],
      { maxBuffer: 10_000_000 },
    );
    const got = JSON.parse(stdout) as Array<{ key: string; value: Record<string, unknown> }>;
    expect(got).toHaveLength(10);
    for (const [i, r] of records.entries()) {
      const g = got[i];
      expect(g?.key).toBeNull();
      expect(g?.value).toEqual(r);
    }
  });
});
