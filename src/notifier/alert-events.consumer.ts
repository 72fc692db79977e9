import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type ConsumedMessage } from '../platform/messaging/batch-consumer.js';
import { TOPICS } from '../platform/messaging/topics.js';
import { type AlertEvent } from '../platform/schemas/generated.js';
import { NotificationPipeline } from './scheduling/notification-pipeline.js';

/** alerts.events → the scheduler; idempotent by event id. */
@Controller()
export class AlertEventsConsumer {
  constructor(@Inject(NotificationPipeline) private readonly pipeline: NotificationPipeline) {}

  @EventPattern(TOPICS.alertEvents.name)
  async onEvents(@Payload() batch: ConsumedMessage<AlertEvent>[]): Promise<void> {
    await this.pipeline.ingest(batch);
  }
}
