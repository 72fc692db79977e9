import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { ReadinessRegistry } from '../platform/health/readiness.js';
import { namedLogger } from '../platform/logging/logger.js';
import { AvroSerde } from '../platform/messaging/avro-serde.js';
import { physicalTopic, TOPICS } from '../platform/messaging/topics.js';
import { PlatformModule } from '../platform/service/platform.module.js';
import { type ServiceConfig } from '../platform/service/service-config.js';
import { PG_POOL } from '../platform/service/tokens.js';
import { ClassifierPool } from './classifier-pool.js';
import { CommentSubmittedConsumer } from './comment-submitted.consumer.js';
import { migrateSentiment } from './migrations/index.js';
import { readModelArtifact } from './model-artifact.js';
import { loadSentimentConfig, type SentimentServiceConfig } from './sentiment.config.js';
import { SentimentController } from './sentiment.controller.js';
import { SentimentMetrics, SourceLabeler } from './sentiment.metrics.js';
import { SentimentRepository } from './sentiment.repository.js';
import { MODEL_ARTIFACT, MODEL_VERSION, SENTIMENT_CONFIG } from './sentiment.tokens.js';

const SOURCE_SEED_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** Closes the worker pool once the consumer has drained (runService stops it first). */
@Injectable()
class SentimentLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ClassifierPool) private readonly pool: ClassifierPool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * The sentiment service: `comments.submitted` → classification on worker threads →
 * `sentiment.analyses` + per-minute aggregates → `comments.analyzed`, metrics, and a read API.
 *
 * Boot work that the consumer depends on (schema migrations, the output topic's schema, the
 * worker pool) runs in async provider factories, which Nest resolves before the Kafka transport
 * starts consuming; lifecycle hooks would run only after it.
 */
@Module({})
export class SentimentModule {
  static forRoot(
    config: ServiceConfig,
    sentiment: SentimentServiceConfig = loadSentimentConfig(process.env),
  ): DynamicModule {
    // Fail fast, before connecting to anything, on a missing or broken artifact.
    const artifact = readModelArtifact(sentiment.modelPath);
    return {
      module: SentimentModule,
      imports: [
        PlatformModule.forService({
          config,
          consumer: {
            groupId: sentiment.consumerGroup,
            options: {
              maxChunkSize: sentiment.chunkSize,
              partitionsConsumedConcurrently: sentiment.partitionsConcurrently,
              maxWaitTimeMs: sentiment.fetchMaxWaitMs,
              maxBytesPerPartition: sentiment.maxBytesPerPartition,
            },
          },
        }),
      ],
      controllers: [CommentSubmittedConsumer, SentimentController],
      providers: [
        { provide: SENTIMENT_CONFIG, useValue: sentiment },
        { provide: MODEL_ARTIFACT, useValue: artifact },
        { provide: MODEL_VERSION, useValue: artifact.model.version },
        {
          provide: SentimentRepository,
          inject: [PG_POOL, AvroSerde],
          useFactory: async (pool: pg.Pool, serde: AvroSerde) => {
            const logger = namedLogger('SentimentModule');
            logger.info(
              { model: artifact.model.version, path: artifact.path, sha256: artifact.sha256 },
              'sentiment model loaded',
            );
            // An idle client dropped by the server (restart, failover) must not crash the
            // process; the platform pool has no 'error' listener, so the service adds one.
            if (pool.listenerCount('error') === 0) {
              pool.on('error', (err) =>
                logger.warn({ err: err.message }, 'idle database connection lost'),
              );
            }
            await migrateSentiment(pool, logger);
            // Encoding needs the output schema's id even when topic bootstrap is off.
            await serde.registerValueSchema(
              physicalTopic(TOPICS.commentsAnalyzed.name, config.messaging.topicPrefix),
              'comment-analyzed',
            );
            return new SentimentRepository(pool);
          },
        },
        {
          provide: SentimentMetrics,
          inject: [Registry, SentimentRepository],
          useFactory: async (registry: Registry, repository: SentimentRepository) => {
            const sources = new SourceLabeler(sentiment.metricSourcesMax, sentiment.metricSources);
            sources.admit(
              await repository.topSources(
                sentiment.metricSourcesMax,
                new Date(Date.now() - SOURCE_SEED_WINDOW_MS),
              ),
            );
            const metrics = new SentimentMetrics(registry, sources);
            metrics.setModel(artifact.model.version);
            return metrics;
          },
        },
        {
          provide: ClassifierPool,
          inject: [SentimentMetrics, ReadinessRegistry],
          useFactory: async (metrics: SentimentMetrics, readiness: ReadinessRegistry) => {
            const pool = await ClassifierPool.start({
              model: artifact.model,
              artifact: artifact.text,
              workers: sentiment.workers,
              classify: { maxChars: sentiment.maxChars, entities: sentiment.entities },
              taskTimeoutMs: sentiment.taskTimeoutMs,
              logger: namedLogger('ClassifierPool'),
              observer: metrics,
            });
            metrics.watchPool(() => pool.stats());
            readiness.register({
              name: 'sentiment-classifier',
              check: () => {
                const s = pool.stats();
                if (s.mode === 'workers' && s.live === 0) {
                  return Promise.reject(new Error('no classifier worker is live'));
                }
                return Promise.resolve({
                  mode: s.mode,
                  workers: s.size,
                  live: s.live,
                  model: artifact.model.version,
                });
              },
            });
            return pool;
          },
        },
        SentimentLifecycle,
      ],
    };
  }
}
