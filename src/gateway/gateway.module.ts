import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import pg from 'pg';
import { Registry } from 'prom-client';
import { namedLogger } from '../platform/logging/logger.js';
import { AvroSerde } from '../platform/messaging/avro-serde.js';
import { EventPublisher } from '../platform/messaging/publisher.js';
import { physicalTopic } from '../platform/messaging/topics.js';
import { PlatformModule } from '../platform/service/platform.module.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { PG_POOL } from '../platform/service/tokens.js';
import { AdmissionGuard } from './admission.guard.js';
import { TokenBuckets } from './domain/token-bucket.js';
import { type GatewayConfig } from './gateway.config.js';
import { GatewayHttpSetup } from './gateway-http.js';
import { GatewayMetrics } from './gateway.metrics.js';
import { ensureGatewaySchema } from './gateway.schema.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';
import { IdempotencyStore } from './idempotency.store.js';
import { IngestController } from './ingest.controller.js';
import { IngestService } from './ingest.service.js';
import { PublishBatcher } from './publish-batcher.js';
import { COMMENTS, LOGS, TRANSFERS } from './streams.js';
import { AnyGatewayScopeGuard, UsageController } from './usage.controller.js';
import { UsageMeter } from './usage-meter.js';

/** Creates the gateway tables, prepares the writer schemas, runs the background jobs. */
@Injectable()
class GatewayLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = namedLogger('GatewayLifecycle');
  private cleanup: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(AvroSerde) private readonly serde: AvroSerde,
    @Inject(UsageMeter) private readonly meter: UsageMeter,
    @Inject(IdempotencyStore) private readonly idempotency: IdempotencyStore,
    @Inject('GATEWAY_TOPIC_PREFIX') private readonly prefix: string,
  ) {}

  async onModuleInit(): Promise<void> {
    await ensureGatewaySchema(this.pool);
    // Encoding is synchronous once each topic's writer schema id is known (idempotent call).
    for (const spec of [TRANSFERS, LOGS, COMMENTS]) {
      await this.serde.registerValueSchema(physicalTopic(spec.topic, this.prefix), spec.schema);
    }
    this.meter.start();
    this.cleanup = setInterval(() => {
      this.idempotency
        .deleteExpired()
        .catch((err: unknown) =>
          this.logger.warn({ err: String(err) }, 'idempotency cleanup failed'),
        );
    }, 600_000);
    this.cleanup.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.cleanup) clearInterval(this.cleanup);
    await this.meter.stop();
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: ServiceConfig, gateway: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forService({ config })],
      controllers: [IngestController, UsageController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: gateway },
        { provide: 'GATEWAY_TOPIC_PREFIX', useValue: config.messaging.topicPrefix },
        {
          provide: GatewayMetrics,
          inject: [Registry],
          useFactory: (r: Registry) => new GatewayMetrics(r),
        },
        { provide: TokenBuckets, useFactory: () => new TokenBuckets(gateway.rateBurstSeconds) },
        {
          provide: UsageMeter,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) =>
            new UsageMeter(pool, {
              flushMs: gateway.quotaFlushMs,
              refreshMs: gateway.quotaRefreshMs,
              exactMargin: gateway.quotaExactMargin,
            }),
        },
        {
          provide: IdempotencyStore,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) =>
            new IdempotencyStore(pool, {
              ttlMs: gateway.idempotencyTtlMs,
              leaseMs: gateway.idempotencyLeaseMs,
            }),
        },
        {
          provide: PublishBatcher,
          inject: [EventPublisher],
          useFactory: (publisher: EventPublisher) =>
            new PublishBatcher(publisher, {
              maxBatch: gateway.publishMaxBatch,
              maxQueued: gateway.publishMaxQueued,
              timeoutMs: gateway.publishTimeoutMs,
            }),
        },
        IngestService,
        AdmissionGuard,
        AnyGatewayScopeGuard,
        GatewayHttpSetup,
        GatewayLifecycle,
      ],
    };
  }
}
