import { randomUUID } from 'node:crypto';
import { type Consumer, type Producer } from 'kafkajs';
import { type AvroSerde } from '../../src/platform/messaging/avro-serde.js';
import { type KafkaClient } from '../../src/platform/messaging/kafka.js';
import { type CommentSubmitted } from '../../src/platform/schemas/generated.js';
import { uniqueName } from '../support/kafka.js';

/** Helpers shared by the sentiment integration tests. */

export function comment(
  commentId: string,
  text: string,
  patch: Partial<CommentSubmitted> = {},
): CommentSubmitted {
  return {
    eventId: randomUUID(),
    commentId,
    source: 'app-store',
    author: null,
    text,
    languageHint: null,
    submittedAt: Date.now(),
    metadata: {},
    ...patch,
  };
}

export interface CollectedRecord<T> {
  readonly key: string | null;
  readonly value: T;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

/** Reads `topic` from the beginning for as long as the test runs. */
export class TopicCollector<T> {
  readonly records: CollectedRecord<T>[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start<T>(
    kafka: KafkaClient,
    topic: string,
    decode: (value: Buffer | null) => Promise<T>,
  ): Promise<TopicCollector<T>> {
    const consumer = kafka.consumer({ groupId: uniqueName('collector'), maxWaitTimeInMs: 50 });
    const collector = new TopicCollector<T>(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          if (v !== undefined) headers[k] = v.toString();
        collector.records.push({
          key: message.key?.toString() ?? null,
          value: await decode(message.value),
          headers,
          partition,
          offset: message.offset,
        });
      },
    });
    return collector;
  }

  byKey(key: string): CollectedRecord<T>[] {
    return this.records.filter((r) => r.key === key);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export async function submit(
  producer: Producer,
  serde: AvroSerde,
  topic: string,
  comments: readonly CommentSubmitted[],
): Promise<void> {
  for (let i = 0; i < comments.length; i += 1000) {
    await producer.send({
      topic,
      acks: -1,
      messages: comments
        .slice(i, i + 1000)
        .map((c) => ({ key: c.commentId, value: serde.encode(topic, c) })),
    });
  }
}

/** Value of the first sample of `name` whose labels include `labels` (undefined when absent). */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found[pair[1] as string] = pair[2] as string;
    }
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[2]);
  }
  return undefined;
}

/** Sum of every sample of `name` whose labels include `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found[pair[1] as string] = pair[2] as string;
    }
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(m[2]);
  }
  return sum;
}
