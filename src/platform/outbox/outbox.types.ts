/**
 * One event to publish, written in the same database transaction as the state change it
 * announces. The relay publishes rows in id order per key; the key is the aggregate id
 * (account, transfer, alert), so consumers see per-aggregate order.
 */
export interface OutboxMessage {
  /** Event id: the consumer-side idempotency key and the Kafka `event-id` header. */
  readonly eventId: string;
  /** Destination topic from the topic catalog. */
  readonly topic: string;
  /** Kafka key: the aggregate id. Rows with the same key are published in insertion order. */
  readonly key: string;
  /** Avro-ready record for the topic's value schema (longs as JS numbers within 2^53). */
  readonly payload: Record<string, unknown>;
  /** Extra Kafka headers (for example W3C trace context). */
  readonly headers?: Readonly<Record<string, string>>;
}
