import { Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import { loadGatewayConfig } from '../../src/gateway/gateway.config.js';
import { GatewayModule } from '../../src/gateway/gateway.module.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, uniqueName, type TestPlatform } from '../support/kafka.js';

/**
 * Two gateway instances sharing one database and one cluster, as behind a load balancer: an
 * Idempotency-Key retried against both publishes once, and a monthly quota holds across them.
 */
const prefix = `${uniqueName('gw2')}.`;
const transfersTopic = physicalTopic(TOPICS.transfersRequested.name, prefix);
let db: TestDatabase;
let pool: pg.Pool;
let p: TestPlatform;
const instances: RunningService[] = [];

async function start(): Promise<RunningService> {
  const env = {
    ...process.env,
    HTTP_PORT: '0',
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    GATEWAY_QUOTA_FLUSH_MS: '200',
  };
  const config = loadServiceConfig(env, 'gateway-multi', 0);
  const gateway = loadGatewayConfig(env);
  @Module({ imports: [GatewayModule.forRoot(config, gateway)] })
  class InstanceModule {}
  return runService(InstanceModule, {
    config,
    title: 'gateway',
    description: 'test',
    handleSignals: false,
  });
}

async function count(): Promise<number> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(transfersTopic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function transfer(): string {
  return JSON.stringify({
    transferId: randomUUID(),
    debitAccountId: 'a',
    creditAccountId: 'b',
    amountMinor: 1,
    currency: 'EUR',
    sourceSystem: 'multi',
  });
}

beforeAll(async () => {
  db = await createTestDatabase('gw2');
  pool = db.pool(2);
  instances.push(await start());
  // The second instance allows one browser origin (CORS is read from the environment at boot).
  process.env.CORS_ALLOWED_ORIGINS = 'https://console.example';
  try {
    instances.push(await start());
  } finally {
    delete process.env.CORS_ALLOWED_ORIGINS;
  }
  p = await createTestPlatform();
});

afterAll(async () => {
  for (const i of instances) await i.shutdown('test done');
  await p?.close();
  await pool?.end();
  await db?.drop();
});

const post = (i: number, body: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${instances[i % 2]?.url}/v1/transfers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('gateway: two instances', () => {
  it('publishes an Idempotency-Key once when 20 concurrent retries hit both instances', async () => {
    const { key } = await createApiKey(pool, {
      name: 'idem',
      scopes: ['transfers:publish'],
      ratePerSecond: 1000,
    });
    const before = await count();
    const body = transfer();
    const idem = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(i, body, { 'x-api-key': key, 'idempotency-key': idem }),
      ),
    );
    const answers = await Promise.all(
      responses.map((r) => r.json() as Promise<{ eventId?: string }>),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 202));
    expect(new Set(answers.map((a) => a.eventId)).size).toBe(1);
    expect(await count()).toBe(before + 1);
  });

  it('holds a monthly quota across instances under concurrent load', async () => {
    const { key, id } = await createApiKey(pool, {
      name: 'quota',
      scopes: ['transfers:publish'],
      monthlyQuota: 10,
      ratePerSecond: 1000,
    });
    const before = await count();
    const statuses = (
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(i, transfer(), { 'x-api-key': key })),
      )
    ).map((r) => r.status);
    // Remaining quota (10) is below the exact-mode margin: every admission is decided in
    // PostgreSQL, so the quota is exact even across instances.
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    expect(await count()).toBe(before + 10);
    const row = await pool.query<{ used: string }>(
      'SELECT used FROM gateway.usage_monthly WHERE api_key_id = $1',
      [id],
    );
    expect(Number(row.rows[0]?.used)).toBe(10);
    for (const i of [0, 1]) {
      const usage = await fetch(`${instances[i]?.url}/v1/usage`, { headers: { 'x-api-key': key } });
      expect(await usage.json()).toMatchObject({ monthly: { used: 10, limit: 10, remaining: 0 } });
    }
  });

  it('answers CORS preflights only for listed origins, and only where configured', async () => {
    const preflight = (i: number, origin: string): Promise<Response> =>
      fetch(`${instances[i]?.url}/v1/transfers`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-api-key,content-type',
        },
      });
    const allowed = await preflight(1, 'https://console.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await preflight(1, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const off = await preflight(0, 'https://console.example');
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
  });
});
