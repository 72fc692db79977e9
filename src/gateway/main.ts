import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { runService } from '../platform/service/run-service.js';
import { loadServiceConfig } from '../platform/service/service-config.js';
import { loadGatewayConfig } from './gateway.config.js';
import { GatewayModule } from './gateway.module.js';

const config = loadServiceConfig(process.env, 'gateway', 3000);
const gateway = loadGatewayConfig(process.env);

// runService takes a module class; the gateway's module is dynamic (built from config).
@Module({ imports: [GatewayModule.forRoot(config, gateway)] })
class GatewayAppModule {}

await runService(GatewayAppModule, {
  config,
  title: 'Streamline ingest gateway',
  description:
    "HTTP door to the platform's Kafka topics: bodies validated against the topics' Avro schemas, published with acks=all, 202 only after the broker acknowledged. API keys (x-api-key) with per-stream publish scopes; Idempotency-Key; rate limits and monthly quotas (429 with Retry-After). Security model: docs/security.md.",
  bodyLimitBytes: gateway.maxBatchBytes,
});
