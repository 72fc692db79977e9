/**
 * A consumer in its own process, so tests can SIGKILL or SIGTERM it mid-batch. Each processed
 * message appends a row to `deliveries` (PostgreSQL, one transaction per chunk) before the runner
 * commits the offset. Modes:
 *  - `kill-before-commit`: after the first chunk's effects are durable, SIGKILL itself before
 *    the runner can commit;
 *  - `slow`: 100 ms per chunk of at most 50, so a SIGTERM lands mid-stream;
 *  - `normal`.
 * Usage: node --import tsx test/support/consumer-child.ts <topic> <group> <databaseUrl> <mode>
 */
import pg from 'pg';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { AvroSerde } from '../../src/platform/messaging/avro-serde.js';
import {
  BatchConsumer,
  defaultConsumerOptions,
} from '../../src/platform/messaging/batch-consumer.js';
import { createKafka, loadMessagingConfig } from '../../src/platform/messaging/kafka.js';
import { MessagingMetrics } from '../../src/platform/observability/metrics.js';
import { type LogLine } from '../../src/platform/schemas/generated.js';

const [topic, group, databaseUrl, mode] = process.argv.slice(2) as [string, string, string, string];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const config = loadMessagingConfig(process.env, `child-${process.pid}`);
const kafka = createKafka(config);
const serde = AvroSerde.fromConfig(config);
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const consumer = new BatchConsumer(
  kafka,
  producer,
  serde,
  new MessagingMetrics(new Registry()),
  logger,
  {
    ...defaultConsumerOptions,
    groupId: group,
    maxChunkSize: mode === 'slow' ? 50 : 1000,
    partitionsConsumedConcurrently: 1,
    // Short session so the test's restarted member takes over a killed member's partitions fast.
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
  },
);
let chunks = 0;
consumer.subscribe<LogLine>({
  topic,
  schema: 'log-line',
  handler: async (messages) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        'INSERT INTO deliveries (event_id, pid, msg_offset) SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])',
        [
          messages.map((m) => m.value.eventId),
          messages.map(() => process.pid),
          messages.map((m) => m.offset),
        ],
      );
      if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 100));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    chunks += 1;
    if (mode === 'kill-before-commit' && chunks === 1) process.kill(process.pid, 'SIGKILL');
  },
});
process.once('SIGTERM', () => {
  void (async () => {
    await consumer.stop();
    await producer.disconnect();
    await pool.end();
    process.exit(0);
  })();
});
await consumer.start();
process.send?.('started');
