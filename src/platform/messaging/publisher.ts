import { type Producer } from 'kafkajs';
import { type AvroSerde } from './avro-serde.js';
import { type MessagingMetrics } from '../observability/metrics.js';

export interface OutgoingRecord {
  readonly key: string | null;
  readonly value: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Encodes records with the topic's registered value schema and sends them with `acks=all`,
 * resolving only once the broker has acknowledged every record. Callers that must not lose an
 * event write it to an outbox first; this is the last hop.
 */
export class EventPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly serde: AvroSerde,
    private readonly metrics?: MessagingMetrics,
  ) {}

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        key: r.key,
        value: this.serde.encode(topic, r.value),
        headers: r.headers ? { ...r.headers } : undefined,
      })),
    });
    this.metrics?.produced.inc({ topic }, records.length);
  }
}
