import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { OutboxRelayModule } from '../platform/outbox/outbox-relay.module.js';
import { PlatformModule } from '../platform/service/platform.module.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { type AlertingSettings } from './alerting.config.js';
import { ALERTING_CLOCK, ALERTING_SETTINGS, type Clock } from './alerting.tokens.js';
import { EngineHost } from './engine/engine-host.js';
import { AlertsController } from './http/alerts.controller.js';
import { RulesController } from './http/rules.controller.js';
import { SilencesController } from './http/silences.controller.js';
import { EngineStatusController } from './http/status.controller.js';
import { LogLinesConsumer } from './log-lines.consumer.js';
import { ALERTING_SCHEMA } from './persistence/migrations.js';
import { RulesService } from './rules/rules.service.js';

export interface AlertingModuleOptions {
  /** Wall clock for ticks and API times (tests pass a fixed one). */
  readonly clock?: Clock;
}

/**
 * The alerting service: logs.lines → rule engine → alerts (PostgreSQL, schema `alerting`) and
 * alert events through the outbox to alerts.events; rules, alerts and silences over HTTP.
 */
@Module({})
export class AlertingModule {
  static forRoot(
    config: ServiceConfig,
    settings: AlertingSettings,
    options: AlertingModuleOptions = {},
  ): DynamicModule {
    return {
      module: AlertingModule,
      imports: [
        PlatformModule.forService({
          config,
          consumer: {
            groupId: settings.groupId,
            options: {
              maxChunkSize: settings.chunkSize,
              partitionsConsumedConcurrently: settings.partitionsConcurrently,
              members: settings.consumers,
              maxBytesPerPartition: settings.fetchMaxBytesPerPartition,
              maxWaitTimeMs: settings.fetchMaxWaitMs,
            },
          },
        }),
        OutboxRelayModule.forSchema(ALERTING_SCHEMA),
      ],
      controllers: [
        LogLinesConsumer,
        RulesController,
        AlertsController,
        SilencesController,
        EngineStatusController,
      ],
      providers: [
        { provide: ALERTING_SETTINGS, useValue: settings },
        { provide: ALERTING_CLOCK, useValue: options.clock ?? Date.now },
        EngineHost.provider(),
        RulesService,
      ],
    };
  }
}

/** The root module class `runService` boots. */
export function alertingAppModule(
  config: ServiceConfig,
  settings: AlertingSettings,
  options: AlertingModuleOptions = {},
): Type {
  @Module({ imports: [AlertingModule.forRoot(config, settings, options)] })
  class AlertingAppModule {}
  return AlertingAppModule;
}
