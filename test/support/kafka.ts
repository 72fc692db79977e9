import { randomBytes } from 'node:crypto';
import { type Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { AvroSerde } from '../../src/platform/messaging/avro-serde.js';
import { retryTransient } from '../../src/platform/messaging/bootstrap.js';
import {
  createKafka,
  loadMessagingConfig,
  type KafkaClient,
} from '../../src/platform/messaging/kafka.js';
import { dlqTopicName } from '../../src/platform/messaging/topics.js';
import { MessagingMetrics } from '../../src/platform/observability/metrics.js';

/** Real-broker helpers: unique topics and groups per test, clients from the stack's env. */
export interface TestPlatform {
  readonly kafka: KafkaClient;
  readonly serde: AvroSerde;
  readonly producer: Producer;
  readonly metrics: MessagingMetrics;
  readonly logger: pino.Logger;
  close(): Promise<void>;
}

/**
 * The services' serde, whose registrations retry a transient registry failure as the services'
 * start-up does (bootstrap, consumer start): a registry answer that never arrives times out after
 * 10 s, and a test's own registration should not fail the suite for it (seen once in CI).
 * Registering is idempotent.
 */
class TestSerde extends AvroSerde {
  override registerValueSchema(
    ...args: Parameters<AvroSerde['registerValueSchema']>
  ): Promise<number> {
    return retryTransient(() => super.registerValueSchema(...args), 3);
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createTestPlatform(): Promise<TestPlatform> {
  const config = loadMessagingConfig(process.env, uniqueName('test'));
  const kafka = createKafka(config);
  const serde = new TestSerde(AvroSerde.fromConfig(config).registry);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const metrics = new MessagingMetrics(new Registry());
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return {
    kafka,
    serde,
    producer,
    metrics,
    logger,
    async close() {
      await producer.disconnect();
    },
  };
}

/** Creates `topic` (and its DLQ twin when `withDlq`) and waits for leaders. */
export async function createTopics(
  kafka: KafkaClient,
  topic: string,
  partitions = 1,
  withDlq = true,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [{ topic, numPartitions: partitions, replicationFactor: 1 }];
    if (withDlq)
      topics.push({ topic: dlqTopicName(topic), numPartitions: 1, replicationFactor: 1 });
    await admin.createTopics({ waitForLeaders: true, topics });
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record currently on `topic` (from the beginning) with raw kafkajs. */
export async function readAll(
  kafka: KafkaClient,
  topic: string,
  expectAtLeast: number,
  timeoutMs = 30_000,
): Promise<
  Array<{
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    offset: string;
    partition: number;
  }>
> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const out: Array<{
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    offset: string;
    partition: number;
  }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${out.length}/${expectAtLeast} from ${topic} before timeout`)),
      timeoutMs,
    );
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          if (v !== undefined) headers[k] = v.toString();
        out.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          headers,
          offset: message.offset,
          partition,
        });
        if (out.length >= expectAtLeast) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return out;
}
