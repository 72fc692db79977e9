/**
 * `npm run bench:backbone` — Avro produce→consume through the real broker with our platform
 * (EventPublisher → BatchConsumer: registry framing, decode into the reader schema, handler,
 * commit per chunk) beside a raw kafkajs loop over the same payload bytes in the same run.
 *
 * Phase 1 (throughput): N events are produced first, then a fresh consumer group drains them;
 * events/s = N / (first fetch → last commit). Phase 2 (latency): events are produced at a fixed
 * rate while the consumer runs; latency = handler time − produce time carried in the event.
 * Env: BENCH_EVENTS (default 200000), BENCH_RATE (default 5000/s), BENCH_SECONDS (default 10).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { BatchConsumer, defaultConsumerOptions } from '../src/platform/messaging/batch-consumer.js';
import { createKafka, loadMessagingConfig } from '../src/platform/messaging/kafka.js';
import { EventPublisher } from '../src/platform/messaging/publisher.js';
import { MessagingMetrics } from '../src/platform/observability/metrics.js';
import { type LogLine } from '../src/platform/schemas/generated.js';
import { machine, percentile, rawKafkaDrain, runId, sleep, table } from './support.js';

const events = Number(process.env.BENCH_EVENTS ?? 200_000);
const rate = Number(process.env.BENCH_RATE ?? 5000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const partitions = 6;
const id = runId();
const config = loadMessagingConfig(process.env, `bench-${id}`);
const kafka = createKafka(config);
const serde = AvroSerde.fromConfig(config);
const logger = pino({ level: 'warn' });
const metrics = new MessagingMetrics(new Registry());
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const admin = kafka.admin();
await admin.connect();

function line(i: number): LogLine {
  return {
    eventId: randomUUID(),
    timestamp: Date.now(),
    source: `service-${i % 16}`,
    host: `host-${i % 64}`,
    level: i % 10 === 0 ? 'ERROR' : 'INFO',
    message: `GET /api/v1/orders/${i} 200 ${i % 500}ms user=${i % 1000} trace=${(i * 7919) % 100000}`,
    fields: { component: 'http', pid: String(1000 + (i % 50)) },
  };
}

async function topic(name: string): Promise<string> {
  const t = `bench.${name}.${id}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: t, numPartitions: partitions, replicationFactor: 1 },
      { topic: `${t}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
  });
  return t;
}

async function produceAll(t: string, values: Buffer[], keys: string[]): Promise<number> {
  const started = performance.now();
  const batch = 2000;
  const inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < values.length; i += batch) {
    inflight.push(
      producer.send({
        topic: t,
        acks: -1,
        messages: values
          .slice(i, i + batch)
          .map((value, j) => ({ key: keys[i + j] ?? null, value })),
      }),
    );
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  return values.length / ((performance.now() - started) / 1000);
}

async function runnerDrain(t: string, n: number): Promise<number> {
  const consumer = new BatchConsumer(kafka, producer, serde, metrics, logger, {
    ...defaultConsumerOptions,
    groupId: `runner-${id}-${t}`,
  });
  let seen = 0;
  let first = 0;
  let last = 0;
  consumer.subscribe<LogLine>({
    topic: t,
    schema: 'log-line',
    handler: async (batch) => {
      if (first === 0) first = performance.now();
      seen += batch.length;
      last = performance.now();
    },
  });
  await consumer.start();
  while (seen < n) await sleep(20);
  // `last` is the handler's end; the commit follows in the same chunk, so add the last chunk's commit.
  await consumer.stop();
  return n / ((last - first) / 1000);
}

async function latency(
  kind: 'raw' | 'runner',
  t: string,
): Promise<{ p50: number; p99: number; n: number }> {
  const latencies: number[] = [];
  const total = rate * seconds;
  let stop: () => Promise<void>;
  if (kind === 'raw') {
    const consumer = kafka.consumer({ groupId: `rawlat-${id}`, maxWaitTimeInMs: 10 });
    await consumer.connect();
    await consumer.subscribe({ topic: t, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset }) => {
        const now = Date.now();
        for (const m of batch.messages)
          latencies.push(now - Number(m.headers?.['sent-at']?.toString() ?? now));
        const lastMsg = batch.messages[batch.messages.length - 1];
        if (!lastMsg) return;
        await consumer.commitOffsets([
          {
            topic: t,
            partition: batch.partition,
            offset: (BigInt(lastMsg.offset) + 1n).toString(),
          },
        ]);
        resolveOffset(lastMsg.offset);
      },
    });
    stop = () => consumer.disconnect();
  } else {
    const consumer = new BatchConsumer(kafka, producer, serde, metrics, logger, {
      ...defaultConsumerOptions,
      groupId: `runlat-${id}`,
      maxWaitTimeMs: 10,
    });
    consumer.subscribe<LogLine>({
      topic: t,
      schema: 'log-line',
      handler: async (batch) => {
        const now = Date.now();
        for (const m of batch) latencies.push(now - m.value.timestamp);
      },
    });
    await consumer.start();
    stop = () => consumer.stop();
  }
  await sleep(1500); // let the group join before the clock starts
  const publisher = new EventPublisher(producer, serde);
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    const n = Math.min(perTick * 5, due - sent, total - sent);
    if (n > 0) {
      const now = Date.now();
      const lines = Array.from({ length: n }, (_, i) => ({ ...line(sent + i), timestamp: now }));
      if (kind === 'raw') {
        await producer.send({
          topic: t,
          acks: -1,
          messages: lines.map((l) => ({
            key: l.source,
            value: serde.encode(t, l),
            headers: { 'sent-at': String(now) },
          })),
        });
      } else {
        await publisher.publish(
          t,
          lines.map((l) => ({ key: l.source, value: l })),
        );
      }
      sent += n;
    } else {
      await sleep(tickMs / 2);
    }
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < total && Date.now() < deadline) await sleep(20);
  await stop();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length };
}

console.log(`bench:backbone — ${machine()}`);
console.log(
  `${events.toLocaleString('en-US')} LogLine events, ${partitions} partitions; latency phase ${rate}/s for ${seconds}s\n`,
);

const sample = Array.from({ length: events }, (_, i) => line(i));
const rawTopic = await topic('raw');
const runnerTopic = await topic('runner');
await serde.registerValueSchema(rawTopic, 'log-line');
await serde.registerValueSchema(runnerTopic, 'log-line');
// Same bytes for both: Confluent-framed Avro of the same events.
const encodedRaw = sample.map((l) => serde.encode(rawTopic, l));
const keys = sample.map((l) => l.source);
const rawProduceRate = await produceAll(rawTopic, encodedRaw, keys);
const encodeStart = performance.now();
const encodedRunner = sample.map((l) => serde.encode(runnerTopic, l));
const encodeRate = events / ((performance.now() - encodeStart) / 1000);
const runnerProduceRate = await produceAll(runnerTopic, encodedRunner, keys);

const progress = (m: string): void => void process.stderr.write(`  … ${m}\n`);
progress('raw drain');
const rawRate = await rawKafkaDrain(kafka, `raw-${id}-${rawTopic}`, rawTopic, events);
progress('runner drain');
const runnerRate = await runnerDrain(runnerTopic, events);
progress('latency phases');
const rawLat = await latency(
  'raw',
  await topic('rawlat').then(async (t) => (await serde.registerValueSchema(t, 'log-line'), t)),
);
const runLat = await latency(
  'runner',
  await topic('runlat').then(async (t) => (await serde.registerValueSchema(t, 'log-line'), t)),
);

console.log(
  table(
    ['path', 'produce events/s', 'consume events/s', `p50 ms @${rate}/s`, `p99 ms @${rate}/s`],
    [
      ['raw kafkajs (bytes, count, commit)', rawProduceRate, rawRate, rawLat.p50, rawLat.p99],
      [
        'platform (Avro encode/decode, runner, commit)',
        runnerProduceRate,
        runnerRate,
        runLat.p50,
        runLat.p99,
      ],
    ],
  ),
);
console.log(
  `\nrunner / raw consume throughput: ${((runnerRate / rawRate) * 100).toFixed(0)}% (target ≥ 80%); runner consume ${Math.round(runnerRate).toLocaleString('en-US')} events/s (target ≥ 50,000)`,
);
console.log(
  `Avro encode alone: ${Math.round(encodeRate).toLocaleString('en-US')} events/s; latency samples: raw ${rawLat.n}, runner ${runLat.n}`,
);
await admin
  .deleteTopics({ topics: [rawTopic, runnerTopic, `${rawTopic}.dlq`, `${runnerTopic}.dlq`] })
  .catch(() => undefined);
await admin.disconnect();
await producer.disconnect();
