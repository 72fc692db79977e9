import { parentPort, workerData } from 'node:worker_threads';
import {
  compileRuleSpecs,
  type PrematchedChunk,
  type RuleSpec,
} from '../src/alerting/domain/index.js';
import { decodeAndMatch, packValues } from '../src/alerting/engine/line-matcher.js';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { createKafka, type MessagingConfig } from '../src/platform/messaging/kafka.js';

/** What bench:alerts hands each thread of its consumer-threads ceiling drain. */
export interface CeilingWorkerData {
  readonly messaging: MessagingConfig;
  readonly topic: string;
  readonly groupId: string;
  readonly specs: readonly RuleSpec[];
  readonly chunkSize: number;
  readonly maxLineLength: number;
}

/**
 * Posted when the first batch starts (`at`, epoch ms) and for each chunk: its matched lines for
 * the bench's engine to apply.
 */
export type CeilingMessage =
  | { readonly type: 'start'; readonly at: number }
  | {
      readonly type: 'chunk';
      readonly partition: number;
      /** Offset after the chunk's last line (the topic is new: lines before it = this). */
      readonly next: number;
      readonly chunk: PrematchedChunk;
    };

/**
 * One thread of the ceiling drain: a kafkajs consumer in the group that decodes and matches
 * every chunk on this thread (the alerting service's stateless work, as its line-matcher worker
 * does it), posts the result to the bench's main thread, which applies it to an engine, and
 * commits — no database. Started by bench/alerts.ts.
 */
const data = workerData as CeilingWorkerData;
const serde = AvroSerde.fromConfig(data.messaging);
const rules = compileRuleSpecs(data.specs);
const consumer = createKafka(data.messaging).consumer({
  groupId: data.groupId,
  maxWaitTimeInMs: 100,
  maxBytesPerPartition: 1_048_576,
});
await consumer.connect();
await consumer.subscribe({ topic: data.topic, fromBeginning: true });
let started = false;
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 3,
  eachBatch: async ({ batch, resolveOffset }) => {
    const { messages } = batch;
    const last = messages[messages.length - 1];
    if (!last) return;
    if (!started) {
      started = true;
      const start: CeilingMessage = { type: 'start', at: Date.now() };
      parentPort!.postMessage(start);
    }
    for (let i = 0; i < messages.length; i += data.chunkSize) {
      const part = messages.slice(i, i + data.chunkSize);
      const values = part.map((m) => m.value);
      const { prematched } = await decodeAndMatch(
        serde,
        packValues(values),
        rules,
        data.maxLineLength,
      );
      const message: CeilingMessage = {
        type: 'chunk',
        partition: batch.partition,
        next: Number(part[part.length - 1]!.offset) + 1,
        chunk: prematched,
      };
      parentPort!.postMessage(message, [prematched.timestamps.buffer as ArrayBuffer]);
    }
    await consumer.commitOffsets([
      {
        topic: data.topic,
        partition: batch.partition,
        offset: (BigInt(last.offset) + 1n).toString(),
      },
    ]);
    resolveOffset(last.offset);
  },
});
