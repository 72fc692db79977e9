import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BatchOutcome, type ConsumedMessage } from '../platform/messaging/batch-consumer.js';
import { TOPICS } from '../platform/messaging/topics.js';
import { EngineHost } from './engine/engine-host.js';

/**
 * logs.lines → the alert engine. Values arrive undecoded (`raw`): the engine host decodes and
 * matches them on its line-matcher thread and returns the ones that do not decode (DLQ). A
 * chunk's effects (alerts, outbox events, engine state with the chunk's offset) are committed
 * before this resolves; a replayed chunk is skipped by offset, so redelivery changes nothing.
 */
@Controller()
export class LogLinesConsumer {
  constructor(@Inject(EngineHost) private readonly host: EngineHost) {}

  @EventPattern(TOPICS.logLines.name, { raw: true })
  async onLines(@Payload() batch: ConsumedMessage<Buffer | null>[]): Promise<BatchOutcome> {
    return this.host.processLines(batch);
  }
}
