import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ReadinessRegistry } from '../health/readiness.js';
import { createRootLogger, NestPinoLogger } from '../logging/logger.js';
import { type BatchConsumer } from '../messaging/batch-consumer.js';
import { errorMessage } from '../messaging/errors.js';
import { KafkaAvroTransport } from '../messaging/kafka-avro.transport.js';
import { getTracer } from '../observability/tracing.js';
import { applyHttpSecurity } from './http-security.js';
import { type ServiceConfig } from './service-config.js';
import { CONSUMER_HANDLE } from './tokens.js';

export interface RunServiceOptions {
  readonly config: ServiceConfig;
  readonly title: string;
  readonly description: string;
  /** Largest accepted HTTP body, bytes. */
  readonly bodyLimitBytes?: number;
  /** Install SIGTERM/SIGINT handlers that drain and exit (off in tests). */
  readonly handleSignals?: boolean;
}

export interface RunningService {
  readonly app: NestFastifyApplication;
  readonly url: string;
  /** Graceful drain: not ready → consumer finishes and commits its chunk → app closes. */
  shutdown(reason: string): Promise<void>;
}

/**
 * Boots a service the same way everywhere: Fastify HTTP (API, OpenAPI at /docs, /metrics,
 * /health/*), the Kafka batch consumer as a Nest transport when the module provides one, and a
 * drain on SIGTERM: mark not-ready, stop fetching, finish and commit the in-flight chunk, leave
 * the group, close HTTP, then release the producer and the database (in that order).
 */
export async function runService(
  module: Type | DynamicModule,
  options: RunServiceOptions,
): Promise<RunningService> {
  const { config } = options;
  const logger = createRootLogger(config.service);
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      bodyLimit: options.bodyLimitBytes ?? 1_048_576,
      logger: false,
      // Ids in paths (comment ids, transfer ids) may be up to 256 characters.
      maxParamLength: 512,
    }),
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  applyHttpSecurity(app, process.env);
  setupOpenApi(app, options);

  const { consumer } = app.get<{ consumer?: BatchConsumer }>(CONSUMER_HANDLE, { strict: false });
  if (consumer) {
    app.connectMicroservice(
      { strategy: new KafkaAvroTransport(consumer, config.messaging.topicPrefix) },
      { inheritAppConfig: true },
    );
    // Module init hooks (migrations, auth table) run before the first message is consumed.
    await app.init();
    await app.startAllMicroservices();
  }
  await app.listen({ port: config.httpPort, host: config.httpHost });
  const url = await app.getUrl();
  logger.info({ url, docs: `${url}/docs` }, 'service started');

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down: draining');
      app.get(ReadinessRegistry).markShuttingDown();
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'drain timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      try {
        await consumer?.stop();
        await app.close();
        // Spans recorded during the drain are exported before the process exits.
        await getTracer().flush();
        logger.info('drained and closed');
      } catch (err) {
        logger.error({ err: errorMessage(err) }, 'error during shutdown');
        throw err;
      } finally {
        clearTimeout(timer);
      }
    })();
    return closing;
  };

  if (options.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        shutdown(signal).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  }
  return { app, url, shutdown };
}

function setupOpenApi(app: INestApplication, options: RunServiceOptions): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion(process.env.npm_package_version ?? '0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
