import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { PlatformModule } from '../platform/service/platform.module.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { AlertEventsConsumer } from './alert-events.consumer.js';
import { DeliveryWorker } from './delivery/delivery-worker.js';
import { DeliveriesController } from './http/deliveries.controller.js';
import { SubscriptionsController } from './http/subscriptions.controller.js';
import { type NotifierSettings } from './notifier.config.js';
import { type Clock, NOTIFIER_CLOCK, NOTIFIER_SETTINGS } from './notifier.tokens.js';
import { NotificationPipeline } from './scheduling/notification-pipeline.js';

export interface NotifierModuleOptions {
  readonly clock?: Clock;
}

/**
 * The notifier service: alerts.events → per-subscriber grouping and pacing → a durable
 * delivery queue → signed webhooks (Alertmanager's format) or a real Alertmanager.
 */
@Module({})
export class NotifierModule {
  static forRoot(
    config: ServiceConfig,
    settings: NotifierSettings,
    options: NotifierModuleOptions = {},
  ): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        PlatformModule.forService({
          config,
          consumer: {
            groupId: settings.groupId,
            options: { maxChunkSize: settings.chunkSize, maxWaitTimeMs: settings.fetchMaxWaitMs },
          },
        }),
      ],
      controllers: [AlertEventsConsumer, SubscriptionsController, DeliveriesController],
      providers: [
        { provide: NOTIFIER_SETTINGS, useValue: settings },
        { provide: NOTIFIER_CLOCK, useValue: options.clock ?? Date.now },
        NotificationPipeline.provider(),
        DeliveryWorker,
      ],
    };
  }
}

export function notifierAppModule(
  config: ServiceConfig,
  settings: NotifierSettings,
  options: NotifierModuleOptions = {},
): Type {
  @Module({ imports: [NotifierModule.forRoot(config, settings, options)] })
  class NotifierAppModule {}
  return NotifierAppModule;
}
