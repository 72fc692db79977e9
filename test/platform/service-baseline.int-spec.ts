import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { RequireScopes } from '../../src/platform/auth/auth.guard.js';
import { signJwt } from '../../src/platform/auth/jwt.js';
import { type ConsumedMessage } from '../../src/platform/messaging/batch-consumer.js';
import { EventPublisher } from '../../src/platform/messaging/publisher.js';
import { TOPICS } from '../../src/platform/messaging/topics.js';
import { type LogLine } from '../../src/platform/schemas/generated.js';
import { PlatformModule } from '../../src/platform/service/platform.module.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, uniqueName, type TestPlatform } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const received: LogLine[] = [];

@Controller('things')
class ThingsController {
  @Post()
  @HttpCode(201)
  @RequireScopes('things:write')
  create(@Body() body: unknown): unknown {
    return { ok: true, body };
  }

  @Get()
  @RequireScopes('things:read')
  list(): unknown {
    return { items: received.length };
  }
}

@Controller()
class LinesConsumer {
  @EventPattern(TOPICS.logLines.name)
  onLines(@Payload() batch: ConsumedMessage<LogLine>[]): void {
    received.push(...batch.map((m) => m.value));
  }
}

/**
 * What every service gets from the platform, checked on a tiny service against the real stack:
 * a Nest `@EventPattern` consumer, /health/live and /health/ready (ready only once the consumer
 * joined), /metrics, OpenAPI at /docs, and closed-by-default HTTP with API keys and JWT reads.
 */
describe('service baseline (real Kafka, registry, PostgreSQL)', () => {
  let db: TestDatabase;
  let svc: RunningService;
  let p: TestPlatform;
  let pool: pg.Pool;
  const prefix = `${uniqueName('svc')}.`;
  const jwtSecret = 'test-secret-for-jwt-only-in-tests';

  beforeAll(async () => {
    db = await createTestDatabase('svc');
    pool = db.pool(2);
    process.env.JWT_SECRET = jwtSecret;
    const config = loadServiceConfig(
      { ...process.env, HTTP_PORT: '0', DATABASE_URL: db.url, KAFKA_TOPIC_PREFIX: prefix },
      'baseline-test',
      0,
    );
    @Module({
      imports: [
        PlatformModule.forService({ config, consumer: { groupId: uniqueName('baseline') } }),
      ],
      controllers: [ThingsController, LinesConsumer],
    })
    class TestServiceModule {}
    svc = await runService(TestServiceModule, {
      config,
      title: 'test',
      description: 'test',
      handleSignals: false,
    });
    p = await createTestPlatform();
  });

  afterAll(async () => {
    await svc?.shutdown('test done');
    delete process.env.JWT_SECRET;
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  it('is live at once and ready once the consumer has joined', async () => {
    expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);
    const ready = await waitFor('ready', async () => {
      const res = await fetch(`${svc.url}/health/ready`);
      return res.status === 200
        ? ((await res.json()) as { info: Record<string, unknown> })
        : undefined;
    });
    expect(Object.keys(ready.info).sort()).toEqual([
      'database',
      'kafka-consumer',
      'schema-registry',
    ]);
  });

  it('consumes its @EventPattern topic (prefixed, bootstrapped) and exposes metrics', async () => {
    const topic = `${prefix}${TOPICS.logLines.name}`;
    await p.serde.registerValueSchema(topic, 'log-line');
    const line: LogLine = {
      eventId: randomUUID(),
      timestamp: Date.now(),
      source: 's',
      host: null,
      level: 'ERROR',
      message: 'hello',
      fields: {},
    };
    await new EventPublisher(p.producer, p.serde).publish(topic, [{ key: 's', value: line }]);
    await waitFor('line consumed', () => received.some((l) => l.eventId === line.eventId));
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `streamline_consumer_messages_total\\{topic="${topic.replace(/\./g, '\\.')}",outcome="processed",service="baseline-test"\\} 1`,
      ),
    );
    expect(metrics).toMatch(/streamline_consumer_up\{group="[^"]+",service="baseline-test"\} 1/);
  });

  it('serves OpenAPI at /docs', async () => {
    const res = await fetch(`${svc.url}/docs/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/things');
  });

  it('closes every route by default: 401 without a key, 403 with the wrong scope, 2xx with the right one', async () => {
    const writer = await createApiKey(pool, { name: 'writer', scopes: ['things:write'] });
    const reader = await createApiKey(pool, { name: 'reader', scopes: ['things:read'] });
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${svc.url}/things`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"a":1}',
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-api-key': 'sl_000000000000_' + 'A'.repeat(43) })).status).toBe(401);
    expect((await post({ 'x-api-key': "' OR 1=1 --" })).status).toBe(401);
    const forbidden = await post({ 'x-api-key': reader.key });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'AUTH.INSUFFICIENT_SCOPE' });
    expect((await post({ 'x-api-key': writer.key })).status).toBe(201);
    expect((await post({ authorization: `ApiKey ${writer.key}` })).status).toBe(201);
    // JWTs are for reads only.
    const token = signJwt(
      {
        sub: 'analyst',
        scope: 'things:read things:write',
        exp: Math.floor(Date.now() / 1000) + 60,
      },
      jwtSecret,
    );
    expect(
      (await fetch(`${svc.url}/things`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(401);
    const expired = signJwt({ sub: 'a', scope: 'things:read', exp: 1 }, jwtSecret);
    expect(
      (await fetch(`${svc.url}/things`, { headers: { authorization: `Bearer ${expired}` } }))
        .status,
    ).toBe(401);
    expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);
  });
});
