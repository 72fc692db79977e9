import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { type BatchConsumer, type ConsumedMessage } from './batch-consumer.js';
import { physicalTopic, topicSpecByName } from './topics.js';

/**
 * NestJS transport strategy over the batch consumer, so services read like Nest apps:
 *
 * ```ts
 * @EventPattern(TOPICS.transfersRequested.name)
 * async onRequests(@Payload() batch: ConsumedMessage<TransferRequested>[]): Promise<BatchOutcome> {…}
 * ```
 *
 * Each `@EventPattern` is a catalog topic name; the handler gets a decoded, in-order chunk of one
 * partition and returns the messages it rejected (see `BatchHandler` for the contract).
 * `@EventPattern(name, { raw: true })` hands the values over undecoded (`Subscription.raw`).
 */
export class KafkaAvroTransport extends Server implements CustomTransportStrategy {
  constructor(
    private readonly consumer: BatchConsumer,
    private readonly topicPrefix: string,
  ) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    for (const [pattern, handler] of this.getHandlers()) {
      const topic = physicalTopic(pattern, this.topicPrefix);
      const spec = topicSpecByName(topic, this.topicPrefix);
      if (!spec) throw new Error(`@EventPattern("${pattern}") is not a topic of the catalog`);
      this.consumer.subscribe({
        topic,
        schema: spec.valueSchema,
        raw: handler.extras?.['raw'] === true,
        handler: async (batch: readonly ConsumedMessage<unknown>[]) => {
          const result: unknown = await handler(batch);
          const value = await lastValueFrom(this.transformToObservable(result), {
            defaultValue: undefined,
          });
          return value ?? undefined;
        },
      });
    }
    this.consumer.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  async close(): Promise<void> {
    await this.consumer.stop();
  }

  on(): void {
    // Consumer events are exposed through health() and metrics, not Nest's status stream.
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
