import { Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import {
  type CommentSubmitted,
  type LogLine,
  type SchemaName,
  type TransferRequested,
} from '../../src/platform/schemas/generated.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import { loadGatewayConfig } from '../../src/gateway/gateway.config.js';
import { GatewayModule } from '../../src/gateway/gateway.module.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, readAll, uniqueName, type TestPlatform } from '../support/kafka.js';

/**
 * The ingest gateway against the real stack (Kafka, registry, PostgreSQL), in process, with its
 * own topic prefix and database: what reaches the topics, what is refused and how, auth,
 * limits, idempotency under concurrency, and hostile input.
 */
const prefix = `${uniqueName('gw')}.`;
const topics = {
  transfers: physicalTopic(TOPICS.transfersRequested.name, prefix),
  logs: physicalTopic(TOPICS.logLines.name, prefix),
  comments: physicalTopic(TOPICS.commentsSubmitted.name, prefix),
};

let db: TestDatabase;
let pool: pg.Pool;
let svc: RunningService;
let p: TestPlatform;
const keys: Record<string, string> = {};

function transfer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transferId: randomUUID(),
    debitAccountId: 'acc-1',
    creditAccountId: 'acc-2',
    amountMinor: 1250,
    currency: 'USD',
    sourceSystem: 'e2e',
    ...overrides,
  };
}

function logLine(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { source: 'payments-api', level: 'ERROR', message: 'boom', ...overrides };
}

async function post(
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${svc.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
}

const withKey = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'x-api-key': keys[name] as string,
  ...extra,
});

/** Records on a topic right now: the sum of its partitions' high watermarks. */
async function count(topic: string): Promise<number> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function counts(): Promise<number[]> {
  return Promise.all([count(topics.transfers), count(topics.logs), count(topics.comments)]);
}

async function decodedAll<T>(topic: string, schema: SchemaName, atLeast: number): Promise<T[]> {
  const records = await readAll(p.kafka, topic, atLeast);
  return Promise.all(records.map((r) => p.serde.decode<T>(r.value, schema)));
}

beforeAll(async () => {
  db = await createTestDatabase('gw');
  pool = db.pool(2);
  const env = {
    ...process.env,
    HTTP_PORT: '0',
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    GATEWAY_MAX_EVENT_BYTES: '4096',
    GATEWAY_MAX_BATCH_BYTES: '65536',
    GATEWAY_MAX_BATCH_ITEMS: '50',
    GATEWAY_QUOTA_FLUSH_MS: '200',
  };
  const config = loadServiceConfig(env, 'gateway-test', 0);
  const gateway = loadGatewayConfig(env);
  @Module({ imports: [GatewayModule.forRoot(config, gateway)] })
  class TestGatewayModule {}
  svc = await runService(TestGatewayModule, {
    config,
    title: 'gateway test',
    description: 'test',
    bodyLimitBytes: gateway.maxBatchBytes,
    handleSignals: false,
  });
  p = await createTestPlatform();
  const create = async (
    name: string,
    scopes: string[],
    limits: { monthlyQuota?: number; ratePerSecond?: number } = {},
  ): Promise<void> => {
    keys[name] = (await createApiKey(pool, { name, scopes, ratePerSecond: 10_000, ...limits })).key;
  };
  await create('all', ['transfers:publish', 'logs:publish', 'comments:publish']);
  await create('logs', ['logs:publish']);
  await create('slow', ['transfers:publish'], { ratePerSecond: 2 });
  await create('quota', ['transfers:publish'], { monthlyQuota: 3 });
  await create('idem', ['transfers:publish', 'logs:publish']);
});

afterAll(async () => {
  await svc?.shutdown('test done');
  await p?.close();
  await pool?.end();
  await db?.drop();
});

describe('gateway: accepted events', () => {
  it('answers 202 only once the transfer is on the topic, decodable by consumers', async () => {
    const before = await count(topics.transfers);
    const body = transfer({ metadata: { team: 'treasury' } });
    const res = await post('/v1/transfers', JSON.stringify(body), withKey('all'));
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    // No waiting: acks=all happened before the answer, so the record is already counted.
    expect(await count(topics.transfers)).toBe(before + 1);
    const events = await decodedAll<TransferRequested>(topics.transfers, 'transfer-requested', 1);
    const event = events.find((e) => e.eventId === eventId);
    expect(event).toMatchObject({
      transferId: body.transferId,
      kind: 'TRANSFER',
      amountMinor: 1250,
      relatedTransferId: null,
      metadata: { team: 'treasury' },
    });
    expect(Math.abs((event?.requestedAt ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('keeps client-given ids and accepts RFC 3339 times', async () => {
    const eventId = randomUUID();
    const res = await post(
      '/v1/transfers',
      JSON.stringify(transfer({ eventId, requestedAt: '2026-01-02T03:04:05.678Z' })),
      withKey('all'),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ eventId });
    const events = await decodedAll<TransferRequested>(topics.transfers, 'transfer-requested', 2);
    expect(events.find((e) => e.eventId === eventId)?.requestedAt).toBe(
      Date.parse('2026-01-02T03:04:05.678Z'),
    );
  });

  it('takes log lines singly, as a JSON array and as NDJSON, and comments', async () => {
    const one = await post('/v1/logs', JSON.stringify(logLine()), withKey('all'));
    expect(one.status).toBe(202);
    const array = await post(
      '/v1/logs/batch',
      JSON.stringify([logLine({ message: 'a' }), logLine({ message: 'b', host: 'h1' })]),
      withKey('all'),
    );
    expect(array.status).toBe(202);
    const ndjson = await post(
      '/v1/logs/batch',
      `${JSON.stringify(logLine({ message: 'c' }))}\r\n\n${JSON.stringify(logLine({ message: 'd' }))}\n`,
      withKey('all', { 'content-type': 'application/x-ndjson' }),
    );
    expect(ndjson.status).toBe(202);
    const ids = [
      ((await one.json()) as { eventId: string }).eventId,
      ...((await array.json()) as { eventIds: string[] }).eventIds,
      ...((await ndjson.json()) as { eventIds: string[] }).eventIds,
    ];
    expect(ids).toHaveLength(5);
    const lines = await decodedAll<LogLine>(topics.logs, 'log-line', 5);
    expect(lines.map((l) => l.eventId).sort()).toEqual([...ids].sort());
    expect(lines.map((l) => l.message).sort()).toEqual(['a', 'b', 'boom', 'c', 'd']);

    const comment = await post(
      '/v1/comments',
      JSON.stringify({ commentId: 'c-1', source: 'app-store', text: 'Ótimo serviço 👍' }),
      withKey('all', { 'content-type': 'application/json; charset=utf-8' }),
    );
    expect(comment.status).toBe(202);
    const [c] = await decodedAll<CommentSubmitted>(topics.comments, 'comment-submitted', 1);
    expect(c).toMatchObject({ commentId: 'c-1', text: 'Ótimo serviço 👍', languageHint: null });
  });
});

describe('gateway: refused requests publish nothing', () => {
  const invalidUtf8 = Buffer.concat([
    Buffer.from('{"transferId":"'),
    Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from('"}'),
  ]);
  const cases: Array<{
    name: string;
    path?: string;
    body: string | Buffer | undefined;
    headers?: Record<string, string>;
    status: number;
    code?: string;
    field?: { field: string; code: string };
  }> = [
    {
      name: 'missing required field',
      body: JSON.stringify({ ...transfer(), debitAccountId: undefined }),
      status: 400,
      code: 'VALIDATION.FAILED',
      field: { field: 'debitAccountId', code: 'required' },
    },
    {
      name: 'wrong type',
      body: JSON.stringify(transfer({ amountMinor: '1250' })),
      status: 400,
      field: { field: 'amountMinor', code: 'type' },
    },
    {
      name: 'unknown field',
      body: JSON.stringify(transfer({ amount: 5 })),
      status: 400,
      field: { field: 'amount', code: 'unknown_field' },
    },
    {
      name: '__proto__ smuggling',
      body: `{"__proto__":{"admin":true},${JSON.stringify(transfer()).slice(1)}`,
      status: 400,
      field: { field: '__proto__', code: 'unknown_field' },
    },
    {
      name: 'enum symbol',
      body: JSON.stringify(transfer({ kind: 'STEAL' })),
      status: 400,
      field: { field: 'kind', code: 'enum' },
    },
    {
      name: 'uuid format',
      body: JSON.stringify(transfer({ transferId: 'not-a-uuid' })),
      status: 400,
      field: { field: 'transferId', code: 'uuid' },
    },
    {
      name: 'timestamp range',
      body: JSON.stringify(transfer({ requestedAt: 0 })),
      status: 400,
      field: { field: 'requestedAt', code: 'timestamp_range' },
    },
    {
      name: 'long beyond 2^53',
      body: JSON.stringify(transfer()).replace(
        '"amountMinor":1250',
        '"amountMinor":1152921504606846976',
      ),
      status: 400,
      field: { field: 'amountMinor', code: 'int_range' },
    },
    {
      name: 'map value type',
      body: JSON.stringify(transfer({ metadata: { n: 1 } })),
      status: 400,
      field: { field: 'metadata.n', code: 'type' },
    },
    { name: 'malformed JSON', body: '{"transferId": ', status: 400, code: 'BODY.MALFORMED_JSON' },
    { name: 'invalid UTF-8', body: invalidUtf8, status: 400, code: 'BODY.INVALID_UTF8' },
    { name: 'empty body', body: '', status: 400, code: 'BODY.EMPTY' },
    {
      name: 'body over the single-event limit',
      body: JSON.stringify(transfer({ description: 'x'.repeat(5000) })),
      status: 413,
      code: 'BODY.TOO_LARGE',
    },
    {
      name: 'body over the server limit',
      body: JSON.stringify(transfer({ description: 'x'.repeat(70_000) })),
      status: 413,
    },
    {
      name: 'text/plain',
      body: JSON.stringify(transfer()),
      headers: { 'content-type': 'text/plain' },
      status: 415,
    },
    {
      name: 'NDJSON on a single-event route',
      body: JSON.stringify(transfer()),
      headers: { 'content-type': 'application/x-ndjson' },
      status: 415,
      code: 'BODY.UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'charset other than UTF-8',
      body: JSON.stringify(transfer()),
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      status: 415,
      code: 'BODY.UNSUPPORTED_CHARSET',
    },
    {
      name: 'batch with one bad line',
      path: '/v1/logs/batch',
      body: JSON.stringify([logLine(), logLine({ message: 42 }), logLine()]),
      status: 400,
      field: { field: '[1].message', code: 'type' },
    },
    {
      name: 'NDJSON with a malformed line',
      path: '/v1/logs/batch',
      body: `${JSON.stringify(logLine())}\n{oops\n`,
      headers: { 'content-type': 'application/x-ndjson' },
      status: 400,
      code: 'BODY.MALFORMED_JSON',
    },
    {
      name: 'batch that is not an array',
      path: '/v1/logs/batch',
      body: JSON.stringify(logLine()),
      status: 400,
      code: 'BODY.NOT_AN_ARRAY',
    },
    {
      name: 'batch over the item limit',
      path: '/v1/logs/batch',
      body: JSON.stringify(Array.from({ length: 51 }, () => ({ source: 's', message: 'm' }))),
      status: 413,
      code: 'BATCH.TOO_MANY_ITEMS',
    },
    { name: 'empty batch', path: '/v1/logs/batch', body: '[]', status: 400, code: 'BATCH.EMPTY' },
    {
      name: 'invalid Idempotency-Key',
      body: JSON.stringify(transfer()),
      headers: { 'idempotency-key': 'has space' },
      status: 400,
      code: 'IDEMPOTENCY.INVALID_KEY',
    },
  ];

  it('answers each invalid request with its documented 4xx and publishes none', async () => {
    const before = await counts();
    for (const c of cases) {
      const res = await post(c.path ?? '/v1/transfers', c.body, withKey('all', c.headers ?? {}));
      const body = (await res.json()) as {
        code?: string;
        errors?: Array<{ field: string; code: string }>;
      };
      const field = c.field;
      expect({
        name: c.name,
        status: res.status,
        code: c.code === undefined ? undefined : body.code,
        field:
          field === undefined
            ? undefined
            : body.errors?.some((e) => e.field === field.field && e.code === field.code),
      }).toEqual({
        name: c.name,
        status: c.status,
        code: c.code,
        field: field === undefined ? undefined : true,
      });
    }
    expect(await counts()).toEqual(before);
  });

  it('reports every field error at once', async () => {
    const res = await post(
      '/v1/transfers',
      JSON.stringify({ transferId: 'x', amountMinor: 1.5, currency: 7, extra: true }),
      withKey('all'),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ field: string; code: string }> };
    expect(body.errors.map((e) => `${e.field}:${e.code}`).sort()).toEqual([
      'amountMinor:type',
      'creditAccountId:required',
      'currency:type',
      'debitAccountId:required',
      'extra:unknown_field',
      'sourceSystem:required',
      'transferId:uuid',
    ]);
  });
});

describe('gateway: authentication, scopes, limits', () => {
  it('401 without or with a bad key, 403 with the wrong scope; nothing published', async () => {
    const before = await counts();
    const body = JSON.stringify(transfer());
    const missing = await post('/v1/transfers', body);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 'AUTH.MISSING_OR_INVALID_CREDENTIALS' });
    expect((await post('/v1/transfers', body, { 'x-api-key': 'sl_nope' })).status).toBe(401);
    const forbidden = await post('/v1/transfers', body, withKey('logs'));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'AUTH.INSUFFICIENT_SCOPE' });
    expect((await fetch(`${svc.url}/v1/usage`)).status).toBe(401);
    expect(await counts()).toEqual(before);
  });

  it('429 with Retry-After and RateLimit headers over the per-second rate', async () => {
    const statuses: Response[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(await post('/v1/transfers', JSON.stringify(transfer()), withKey('slow')));
    }
    const limited = statuses.find((r) => r.status === 429);
    expect(statuses[0]?.status).toBe(202);
    expect(statuses[0]?.headers.get('ratelimit-limit')).toBe('2');
    expect(limited).toBeDefined();
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited?.headers.get('ratelimit-remaining')).toBe('0');
    expect(await limited?.json()).toMatchObject({ code: 'RATE.LIMITED' });
  });

  it('429 with Retry-After once the monthly quota is used, and shows usage', async () => {
    const results: number[] = [];
    for (let i = 0; i < 5; i++) {
      results.push(
        (await post('/v1/transfers', JSON.stringify(transfer()), withKey('quota'))).status,
      );
    }
    expect(results).toEqual([202, 202, 202, 429, 429]);
    const over = await post('/v1/transfers', JSON.stringify(transfer()), withKey('quota'));
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31 * 24 * 3600);
    expect(await over.json()).toMatchObject({ code: 'QUOTA.EXCEEDED' });
    const usage = await fetch(`${svc.url}/v1/usage`, { headers: withKey('quota') });
    expect(usage.status).toBe(200);
    expect(await usage.json()).toMatchObject({
      monthly: { used: 3, limit: 3, remaining: 0 },
      rate: { limitPerSecond: 10_000, scope: 'per gateway instance' },
    });
    const row = await pool.query<{ used: string }>(
      'SELECT used FROM gateway.usage_monthly WHERE api_key_id = $1',
      [keys.quota?.slice(3, 15)],
    );
    expect(Number(row.rows[0]?.used)).toBe(3);
  });
});

describe('gateway: Idempotency-Key', () => {
  it('publishes once under 20 concurrent retries and replays the original answer', async () => {
    const before = await count(topics.transfers);
    const key = randomUUID();
    const body = JSON.stringify(transfer());
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        post('/v1/transfers', body, withKey('idem', { 'idempotency-key': key })),
      ),
    );
    const answers = await Promise.all(
      responses.map((r) => r.json() as Promise<{ eventId: string }>),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 202));
    expect(new Set(answers.map((a) => a.eventId)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(
      19,
    );
    expect(await count(topics.transfers)).toBe(before + 1);

    // Later replays, with other formatting of the same body: same answer, nothing new.
    const reformatted = JSON.stringify(JSON.parse(body) as unknown, null, 2);
    const replay = await post(
      '/v1/transfers',
      reformatted,
      withKey('idem', { 'idempotency-key': key }),
    );
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(answers[0]);
    expect(await count(topics.transfers)).toBe(before + 1);
    const events = await decodedAll<TransferRequested>(
      topics.transfers,
      'transfer-requested',
      before + 1,
    );
    expect(events.filter((e) => e.eventId === answers[0]?.eventId)).toHaveLength(1);
  });

  it('409 for the same key with another body or route; an invalid body does not take the key', async () => {
    const key = `k-${randomUUID()}`;
    const invalid = await post(
      '/v1/transfers',
      JSON.stringify(transfer({ amountMinor: 'x' })),
      withKey('idem', { 'idempotency-key': key }),
    );
    expect(invalid.status).toBe(400);
    const first = await post(
      '/v1/transfers',
      JSON.stringify(transfer()),
      withKey('idem', { 'idempotency-key': key }),
    );
    expect(first.status).toBe(202);
    const before = await counts();
    const other = await post(
      '/v1/transfers',
      JSON.stringify(transfer()),
      withKey('idem', { 'idempotency-key': key }),
    );
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ code: 'IDEMPOTENCY.KEY_REUSED' });
    const otherRoute = await post(
      '/v1/logs',
      JSON.stringify(logLine()),
      withKey('idem', { 'idempotency-key': key }),
    );
    expect(otherRoute.status).toBe(409);
    expect(await counts()).toEqual(before);
  });

  it('keeps keys apart per API key', async () => {
    const key = randomUUID();
    const body = JSON.stringify(transfer());
    const a = await post('/v1/transfers', body, withKey('idem', { 'idempotency-key': key }));
    const b = await post('/v1/transfers', body, withKey('all', { 'idempotency-key': key }));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('gateway: hostile input and HTTP hygiene', () => {
  const injections = [
    "' OR '1'='1",
    "'; DROP TABLE auth.api_keys; --",
    '1); DELETE FROM gateway.usage_monthly; --',
    "\\'; SELECT pg_sleep(5); --",
  ];

  it('treats SQL-injection strings in every header, query parameter and field as data', async () => {
    const keysBefore = await pool.query<{ n: string }>('SELECT count(*) AS n FROM auth.api_keys');
    for (const s of injections) {
      // Credentials: refused.
      expect(
        (await post('/v1/transfers', JSON.stringify(transfer()), { 'x-api-key': s })).status,
      ).toBe(401);
      expect(
        (await post('/v1/transfers', JSON.stringify(transfer()), { authorization: `ApiKey ${s}` }))
          .status,
      ).toBe(401);
      expect((await fetch(`${svc.url}/v1/usage`, { headers: { 'x-api-key': s } })).status).toBe(
        401,
      );
      // Idempotency key: a key like any other (parameterised), one event.
      const res = await post(
        '/v1/transfers',
        JSON.stringify(transfer()),
        withKey('all', { 'idempotency-key': s.replace(/ /g, '_') }),
      );
      expect(res.status).toBe(202);
      // Query parameters: ignored on ingest routes, validated on /v1/usage.
      const q = encodeURIComponent(s);
      expect(
        (
          await post(
            `/v1/transfers?source=${q}&month=${q}`,
            JSON.stringify(transfer()),
            withKey('all'),
          )
        ).status,
      ).toBe(202);
      const usage = await fetch(`${svc.url}/v1/usage?month=${q}`, { headers: withKey('all') });
      expect(usage.status).toBe(400);
      // Body fields: stored as the text they are.
      const line = await post(
        '/v1/logs',
        JSON.stringify(logLine({ source: s, message: s })),
        withKey('all'),
      );
      expect(line.status).toBe(202);
    }
    const keysAfter = await pool.query<{ n: string }>('SELECT count(*) AS n FROM auth.api_keys');
    expect(keysAfter.rows[0]?.n).toBe(keysBefore.rows[0]?.n);
    const tables = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'gateway'",
    );
    expect(Number(tables.rows[0]?.n)).toBe(2);
    const lines = await decodedAll<LogLine>(topics.logs, 'log-line', 5 + injections.length);
    for (const s of injections)
      expect(lines.some((l) => l.source === s && l.message === s)).toBe(true);
  });

  it('sends security headers, no CORS by default, and serves docs, health and metrics openly', async () => {
    const res = await post('/v1/transfers', JSON.stringify(transfer()), withKey('all'));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
    const preflight = await fetch(`${svc.url}/v1/transfers`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const openapi = await fetch(`${svc.url}/docs/openapi.json`);
    expect(openapi.status).toBe(200);
    const doc = (await openapi.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/transfers',
        '/v1/logs',
        '/v1/logs/batch',
        '/v1/comments',
        '/v1/usage',
      ]),
    );
    expect((await fetch(`${svc.url}/docs`)).status).toBe(200);
    expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/streamline_gateway_events_accepted_total\{stream="transfers"/);
  });
});
