import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import { type DataSource } from 'typeorm';
import { ReadinessRegistry } from '../platform/health/readiness.js';
import { namedLogger } from '../platform/logging/logger.js';
import { AvroSerde } from '../platform/messaging/avro-serde.js';
import { TOPICS } from '../platform/messaging/topics.js';
import { OutboxRelayModule } from '../platform/outbox/outbox-relay.module.js';
import { OutboxValueEncoder } from '../platform/outbox/outbox.writer.js';
import { PlatformModule } from '../platform/service/platform.module.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { AccountsController } from './http/accounts.controller.js';
import { TransfersController } from './http/transfers.controller.js';
import { LedgerExpiryScheduler } from './ledger-expiry.scheduler.js';
import { LedgerOutboxVacuum } from './ledger-outbox-vacuum.js';
import { LedgerPoster } from './ledger-poster.js';
import { type LedgerServiceConfig } from './ledger.config.js';
import {
  initializeLedgerDataSource,
  LEDGER_SCHEMA,
  ledgerDatabaseConfigFromEnv,
} from './ledger.data-source.js';
import { LedgerMetrics } from './ledger.metrics.js';
import { LedgerRepository } from './ledger.repository.js';
import { LEDGER_CONFIG, LEDGER_DATA_SOURCE } from './ledger.tokens.js';
import { TransferRequestedConsumer } from './transfer-requested.consumer.js';

/**
 * Readiness of the ledger's own data source, the expiry and vacuum timers, and the order of
 * release at shutdown: the consumer has drained before any of this runs (runService), the timers
 * stop before the app closes, the data source closes last.
 */
@Injectable()
class LedgerLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = namedLogger('LedgerLifecycle');

  constructor(
    @Inject(LEDGER_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(LedgerExpiryScheduler) private readonly expiry: LedgerExpiryScheduler,
    @Inject(LedgerOutboxVacuum) private readonly vacuum: LedgerOutboxVacuum,
  ) {}

  onApplicationBootstrap(): void {
    const dataSource = this.dataSource;
    this.readiness.register({
      name: 'ledger-database',
      check: async () => {
        if (!dataSource.isInitialized) throw new Error('ledger data source is not initialised');
        await dataSource.query('SELECT 1');
        return {};
      },
    });
    this.expiry.start();
    this.vacuum.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.expiry.stop(), this.vacuum.stop()]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.logger.info('ledger data source closed');
  }
}

@Module({})
export class LedgerModule {
  static forRoot(config: ServiceConfig, ledger: LedgerServiceConfig): DynamicModule {
    return {
      module: LedgerModule,
      imports: [
        PlatformModule.forService({
          config,
          consumer: {
            groupId: ledger.consumerGroup,
            options: {
              maxChunkSize: ledger.chunkSize,
              partitionsConsumedConcurrently: ledger.partitionsConcurrently,
              sessionTimeoutMs: ledger.sessionTimeoutMs,
              heartbeatIntervalMs: ledger.heartbeatIntervalMs,
              maxBytesPerPartition: ledger.maxBytesPerPartition,
              maxWaitTimeMs: ledger.fetchMaxWaitMs,
            },
          },
        }),
        OutboxRelayModule.forSchema(LEDGER_SCHEMA),
      ],
      controllers: [TransferRequestedConsumer, AccountsController, TransfersController],
      providers: [
        { provide: LEDGER_CONFIG, useValue: ledger },
        {
          // TypeORM data source of the ledger schema; its raw-SQL migrations run here, at boot,
          // serialised across starting instances by an advisory lock.
          provide: LEDGER_DATA_SOURCE,
          useFactory: (): Promise<DataSource> =>
            initializeLedgerDataSource({
              ...ledgerDatabaseConfigFromEnv(process.env),
              url: config.databaseUrl,
              poolMax: config.databasePoolMax,
              ssl: config.databaseSsl,
              applicationName: `streamline-${config.service}`,
            }),
        },
        {
          provide: LedgerRepository,
          inject: [LEDGER_DATA_SOURCE, AvroSerde],
          useFactory: async (ds: DataSource, serde: AvroSerde): Promise<LedgerRepository> => {
            // Outcome events are encoded as they are written (bytes in the outbox, published as
            // they are): the schemas are registered (or found) once, at boot.
            const encoder = new OutboxValueEncoder(serde, config.messaging.topicPrefix);
            await encoder.prepare([TOPICS.transferPosted.name, TOPICS.transferRejected.name]);
            return new LedgerRepository(ds, { encoder });
          },
        },
        {
          provide: LedgerMetrics,
          inject: [Registry],
          useFactory: (registry: Registry) => new LedgerMetrics(registry),
        },
        {
          provide: LedgerPoster,
          inject: [LedgerRepository, LedgerMetrics],
          useFactory: (repo: LedgerRepository, metrics: LedgerMetrics) =>
            new LedgerPoster(repo, metrics, ledger.maxBatch),
        },
        {
          provide: LedgerExpiryScheduler,
          inject: [LEDGER_DATA_SOURCE, LedgerRepository, LedgerMetrics],
          useFactory: (ds: DataSource, repo: LedgerRepository, metrics: LedgerMetrics) =>
            new LedgerExpiryScheduler(ds, repo, metrics, {
              intervalMs: ledger.expiryIntervalMs,
              batch: ledger.expiryBatch,
            }),
        },
        {
          provide: LedgerOutboxVacuum,
          inject: [LEDGER_DATA_SOURCE, LedgerMetrics],
          useFactory: (ds: DataSource, metrics: LedgerMetrics) =>
            new LedgerOutboxVacuum(ds, metrics, {
              intervalMs: ledger.vacuumIntervalMs,
              deadRows: ledger.vacuumDeadRows,
            }),
        },
        LedgerLifecycle,
      ],
    };
  }
}

/** The ledger as a root module class (what main.ts and the in-process tests boot). */
export function ledgerAppModule(config: ServiceConfig, ledger: LedgerServiceConfig): Type {
  @Module({ imports: [LedgerModule.forRoot(config, ledger)] })
  class LedgerAppModule {}
  return LedgerAppModule;
}
