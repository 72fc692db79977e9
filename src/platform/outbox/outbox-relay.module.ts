import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Producer } from 'kafkajs';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { envBool, envInt } from '../config/env.js';
import { ReadinessRegistry } from '../health/readiness.js';
import { namedLogger } from '../logging/logger.js';
import { AvroSerde } from '../messaging/avro-serde.js';
import { type ServiceConfig } from '../service/service-config.js';
import { KAFKA_PRODUCER, PG_POOL, SERVICE_CONFIG } from '../service/tokens.js';
import { defaultRelayOptions, OutboxRelay } from './outbox.relay.js';

@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!envBool(process.env, 'OUTBOX_RELAY_ENABLED', true)) return;
    this.readiness.register({
      name: 'outbox-relay',
      check: () => {
        const h = this.relay.health();
        if (!h.running) throw new Error('relay is not running');
        return Promise.resolve({ lastRoundAgeMs: h.lastRoundAgeMs });
      },
    });
    await this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * Runs the outbox relay of one service schema inside the service process (started after the
 * app boots, stopped before the producer and the pool close). Tuning:
 * OUTBOX_RELAY_LANES, OUTBOX_RELAY_BATCH_SIZE, OUTBOX_POLL_INTERVAL_MS, OUTBOX_MAX_ATTEMPTS,
 * OUTBOX_RETENTION_HOURS; OUTBOX_RELAY_ENABLED=false runs the service without it.
 */
@Module({})
export class OutboxRelayModule {
  static forSchema(schema: string): DynamicModule {
    return {
      module: OutboxRelayModule,
      providers: [
        {
          provide: OutboxRelay,
          inject: [PG_POOL, KAFKA_PRODUCER, AvroSerde, Registry, SERVICE_CONFIG],
          useFactory: (
            pool: pg.Pool,
            producer: Producer,
            serde: AvroSerde,
            registry: Registry,
            config: ServiceConfig,
          ) => {
            const env = process.env;
            return new OutboxRelay(
              pool,
              producer,
              serde,
              registry,
              namedLogger('OutboxRelay', { schema }),
              {
                schema,
                lanes: envInt(env, 'OUTBOX_RELAY_LANES', defaultRelayOptions.lanes, {
                  min: 1,
                  max: 64,
                }),
                batchSize: envInt(env, 'OUTBOX_RELAY_BATCH_SIZE', defaultRelayOptions.batchSize, {
                  min: 1,
                  max: 10_000,
                }),
                pollIntervalMs: envInt(
                  env,
                  'OUTBOX_POLL_INTERVAL_MS',
                  defaultRelayOptions.pollIntervalMs,
                  { min: 10 },
                ),
                maxAttempts: envInt(env, 'OUTBOX_MAX_ATTEMPTS', defaultRelayOptions.maxAttempts, {
                  min: 1,
                }),
                retentionHours: envInt(
                  env,
                  'OUTBOX_RETENTION_HOURS',
                  defaultRelayOptions.retentionHours,
                  { min: 1 },
                ),
                topicPrefix: config.messaging.topicPrefix,
              },
            );
          },
        },
        OutboxRelayLifecycle,
      ],
      exports: [OutboxRelay],
    };
  }
}
