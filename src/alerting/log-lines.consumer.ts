import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type ConsumedMessage } from '../platform/messaging/batch-consumer.js';
import { TOPICS } from '../platform/messaging/topics.js';
import { type LogLine } from '../platform/schemas/generated.js';
import { EngineHost } from './engine/engine-host.js';

/**
 * logs.lines → the alert engine. A chunk's effects (alerts, outbox events, engine state with
 * the chunk's offset) are committed before this resolves; a replayed chunk is skipped by
 * offset, so redelivery changes nothing.
 */
@Controller()
export class LogLinesConsumer {
  constructor(@Inject(EngineHost) private readonly host: EngineHost) {}

  @EventPattern(TOPICS.logLines.name)
  async onLines(@Payload() batch: ConsumedMessage<LogLine>[]): Promise<void> {
    await this.host.processLines(batch);
  }
}
