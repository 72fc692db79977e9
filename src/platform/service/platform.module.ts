import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { type Producer } from 'kafkajs';
import pg from 'pg';
import { Registry } from 'prom-client';
import { APP_GUARD } from '@nestjs/core';
import { apiKeysDdl, ApiKeyVerifier } from '../auth/api-keys.js';
import { AuthGuard, JWT_OPTIONS } from '../auth/auth.guard.js';
import { type JwtOptions } from '../auth/jwt.js';
import { envOptional } from '../config/env.js';
import { HealthController } from '../health/health.controller.js';
import { ReadinessRegistry } from '../health/readiness.js';
import { namedLogger } from '../logging/logger.js';
import { AvroSerde } from '../messaging/avro-serde.js';
import {
  BatchConsumer,
  defaultConsumerOptions,
  type BatchConsumerOptions,
} from '../messaging/batch-consumer.js';
import { bootstrapTopics } from '../messaging/bootstrap.js';
import { createKafka, type KafkaClient } from '../messaging/kafka.js';
import { EventPublisher } from '../messaging/publisher.js';
import { probeRegistry } from '../messaging/registry-http.js';
import { allTopicSpecs } from '../messaging/topics.js';
import { MetricsController } from '../observability/metrics.controller.js';
import { createMetricsRegistry, MessagingMetrics } from '../observability/metrics.js';
import { type ServiceConfig } from './service-config.js';
import {
  CONSUMER_HANDLE,
  KAFKA_CLIENT,
  KAFKA_PRODUCER,
  PG_POOL,
  SERVICE_CONFIG,
} from './tokens.js';

export interface PlatformOptions {
  readonly config: ServiceConfig;
  /** Consumer group and tuning, for services that consume. */
  readonly consumer?: {
    readonly groupId: string;
    readonly options?: Partial<Omit<BatchConsumerOptions, 'groupId'>>;
  };
}

const REGISTRY_CHECK_CACHE_MS = 5000;

/** Connects/disconnects shared clients and registers the platform's readiness probes. */
@Injectable()
class PlatformLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = namedLogger('PlatformLifecycle');
  private registryCheckedAt = 0;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(KAFKA_PRODUCER) private readonly producer: Producer,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Optional() @Inject(BatchConsumer) private readonly consumer?: BatchConsumer,
  ) {}

  async onModuleInit(): Promise<void> {
    // The API-key table is shared by every service; create it once, serialised across processes.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('streamline.auth.ddl'))");
      await client.query(apiKeysDdl());
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    const consumer = this.consumer;
    if (consumer) {
      this.readiness.register({
        name: 'kafka-consumer',
        check: () => {
          const h = consumer.health();
          if (!h.running) throw new Error('consumer is not running');
          if (h.crashed) throw new Error('consumer crashed; kafkajs is restarting it');
          if (!h.joined) throw new Error('consumer has not joined its group');
          const fetchAgeMs = h.lastFetchAt === undefined ? undefined : Date.now() - h.lastFetchAt;
          if (h.assignedPartitions > 0 && (fetchAgeMs === undefined || fetchAgeMs > 30_000)) {
            throw new Error(`no fetch for ${fetchAgeMs ?? 'ever'} ms`);
          }
          return Promise.resolve({
            memberId: h.memberId,
            partitions: h.assignedPartitions,
            lastFetchAgeMs: fetchAgeMs,
          });
        },
      });
    }
    this.readiness.register({
      name: 'schema-registry',
      check: async () => {
        if (Date.now() - this.registryCheckedAt < REGISTRY_CHECK_CACHE_MS) return { cached: true };
        // With the client's basic auth and CA (a plain fetch would fail on either).
        await probeRegistry(this.config.messaging, 2000);
        this.registryCheckedAt = Date.now();
        return {};
      },
    });
    const pool = this.pool;
    this.readiness.register({
      name: 'database',
      check: async () => {
        await pool.query('SELECT 1');
        return { totalConnections: pool.totalCount, idle: pool.idleCount };
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // The consumer has drained before the app closes (see runService); now release the rest.
    await this.consumer?.stop();
    await this.producer.disconnect();
    await this.pool.end();
    this.logger.info('platform resources released');
  }
}

@Module({})
export class PlatformModule {
  static forService(options: PlatformOptions): DynamicModule {
    const { config } = options;
    const providers: DynamicModule['providers'] = [
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: Registry, useFactory: () => createMetricsRegistry(config.service) },
      {
        provide: MessagingMetrics,
        useFactory: (r: Registry) => new MessagingMetrics(r),
        inject: [Registry],
      },
      { provide: KAFKA_CLIENT, useFactory: () => createKafka(config.messaging) },
      { provide: AvroSerde, useFactory: () => AvroSerde.fromConfig(config.messaging) },
      {
        provide: KAFKA_PRODUCER,
        inject: [KAFKA_CLIENT, AvroSerde],
        useFactory: async (kafka: KafkaClient, serde: AvroSerde): Promise<Producer> => {
          if (process.env.KAFKA_BOOTSTRAP_TOPICS !== 'false') {
            await bootstrapTopics(
              kafka,
              serde,
              namedLogger('bootstrap'),
              allTopicSpecs(config.messaging.topicPrefix),
            );
          }
          const producer = kafka.producer({
            idempotent: true,
            maxInFlightRequests: 1,
            allowAutoTopicCreation: false,
            retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 10_000 },
          });
          await producer.connect();
          return producer;
        },
      },
      {
        provide: EventPublisher,
        inject: [KAFKA_PRODUCER, AvroSerde, MessagingMetrics],
        useFactory: (p: Producer, s: AvroSerde, m: MessagingMetrics) => new EventPublisher(p, s, m),
      },
      ReadinessRegistry,
      HealthIndicatorService,
      PlatformLifecycle,
      {
        provide: CONSUMER_HANDLE,
        inject: [{ token: BatchConsumer, optional: true }],
        useFactory: (consumer?: BatchConsumer) => ({ consumer }),
      },
    ];
    const exports: DynamicModule['exports'] = [
      SERVICE_CONFIG,
      Registry,
      MessagingMetrics,
      KAFKA_CLIENT,
      KAFKA_PRODUCER,
      AvroSerde,
      EventPublisher,
      ReadinessRegistry,
      CONSUMER_HANDLE,
    ];
    const consumer = options.consumer;
    if (consumer) {
      providers.push({
        provide: BatchConsumer,
        inject: [KAFKA_CLIENT, KAFKA_PRODUCER, AvroSerde, MessagingMetrics],
        useFactory: (k: KafkaClient, p: Producer, s: AvroSerde, m: MessagingMetrics) =>
          new BatchConsumer(k, p, s, m, namedLogger('BatchConsumer', { group: consumer.groupId }), {
            ...defaultConsumerOptions,
            ...consumer.options,
            groupId: consumer.groupId,
          }),
      });
      exports.push(BatchConsumer);
    }
    {
      const jwtSecret = envOptional(process.env, 'JWT_SECRET');
      const jwt: JwtOptions | undefined = jwtSecret
        ? {
            secret: jwtSecret,
            ...(envOptional(process.env, 'JWT_ISSUER')
              ? { issuer: envOptional(process.env, 'JWT_ISSUER') }
              : {}),
            ...(envOptional(process.env, 'JWT_AUDIENCE')
              ? { audience: envOptional(process.env, 'JWT_AUDIENCE') }
              : {}),
          }
        : undefined;
      providers.push(
        { provide: JWT_OPTIONS, useValue: jwt },
        {
          provide: ApiKeyVerifier,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) => new ApiKeyVerifier(pool),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      );
      providers.push({
        provide: PG_POOL,
        useFactory: () => {
          const pool = new pg.Pool({
            connectionString: config.databaseUrl,
            max: config.databasePoolMax,
            ssl: config.databaseSsl,
            connectionTimeoutMillis: 5000,
            idleTimeoutMillis: 30_000,
            application_name: `streamline-${config.service}`,
          });
          // An idle client dropped by the server (restart, failover) must not crash the process.
          pool.on('error', (err) =>
            namedLogger('pg').warn({ err: err.message }, 'idle database client error'),
          );
          return pool;
        },
      });
      exports.push(PG_POOL, ApiKeyVerifier);
    }
    return {
      module: PlatformModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, MetricsController],
      providers,
      exports,
    };
  }
}
