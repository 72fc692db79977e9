import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { loadLedgerConfig } from '../../src/ledger/ledger.config.js';
import { ledgerAppModule } from '../../src/ledger/ledger.module.js';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { EventPublisher } from '../../src/platform/messaging/publisher.js';
import { dlqTopicName, physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import { type TransferRequested } from '../../src/platform/schemas/generated.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, readAll, uniqueName, type TestPlatform } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

interface Json {
  [key: string]: unknown;
}

/**
 * The ledger service in-process against the real stack: its HTTP API (auth, validation, 404
 * codes, balances as of a past time, keyset pagination, SQL-injection strings), and the Kafka
 * path with its metrics (posted, duplicate, conflict, invalid → DLQ, expired).
 */
describe('ledger service: HTTP API and consumer (in-process, real stack)', () => {
  const prefix = `${uniqueName('ledgerapi')}.`;
  const requestTopic = physicalTopic(TOPICS.transfersRequested.name, prefix);
  let db: TestDatabase;
  let pool: pg.Pool;
  let p: TestPlatform;
  let svc: RunningService;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    db = await createTestDatabase('ledgerapi');
    pool = db.pool(2);
    const env = {
      ...process.env,
      HTTP_PORT: '0',
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      LEDGER_CONSUMER_GROUP: uniqueName('ledgerapi'),
      LEDGER_EXPIRY_INTERVAL_MS: '200',
    };
    const config = loadServiceConfig(env, 'ledger', 0);
    svc = await runService(ledgerAppModule(config, loadLedgerConfig(env)), {
      config,
      title: 'Ledger API',
      description: 'test',
      handleSignals: false,
    });
    p = await createTestPlatform();
    writer = (await createApiKey(pool, { name: 'writer', scopes: ['ledger:write', 'ledger:read'] }))
      .key;
    reader = (await createApiKey(pool, { name: 'reader', scopes: ['ledger:read'] })).key;
  });

  afterAll(async () => {
    await svc?.shutdown('test done');
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  async function call(
    method: 'GET' | 'POST',
    path: string,
    { key = writer, body }: { key?: string | null; body?: unknown } = {},
  ): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { 'x-api-key': key }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Json };
  }

  function transfer(overrides: Partial<TransferRequested> = {}): TransferRequested {
    return {
      eventId: randomUUID(),
      transferId: randomUUID(),
      kind: 'TRANSFER',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amountMinor: 1000,
      currency: 'USD',
      relatedTransferId: null,
      timeoutSeconds: null,
      sourceSystem: 'api-test',
      requestedAt: Date.now(),
      description: null,
      metadata: {},
      ...overrides,
    };
  }

  async function publish(messages: TransferRequested[]): Promise<void> {
    await p.serde.registerValueSchema(requestTopic, 'transfer-requested');
    await new EventPublisher(p.producer, p.serde).publish(
      requestTopic,
      messages.map((m) => ({ key: m.transferId, value: m })),
    );
  }

  async function outcome(transferId: string): Promise<Json> {
    return waitFor(`outcome of ${transferId}`, async () => {
      const res = await call('GET', `/transfers/${transferId}`, { key: reader });
      return res.status === 200 ? res.json : undefined;
    });
  }

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const labelText = line.slice(name.length + 1, line.indexOf('}'));
      if (want.every((w) => labelText.split(',').includes(w))) {
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  it('is ready with its own database probe and documents every route', async () => {
    const ready = await waitFor('ready', async () => {
      const res = await fetch(`${svc.url}/health/ready`);
      return res.status === 200 ? ((await res.json()) as { info: Json }) : undefined;
    });
    expect(Object.keys(ready.info)).toEqual(
      expect.arrayContaining(['ledger-database', 'outbox-relay', 'kafka-consumer', 'database']),
    );
    const doc = (await (await fetch(`${svc.url}/docs/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/accounts',
      '/accounts/{id}',
      '/accounts/{id}/close',
      '/accounts/{id}/entries',
      '/transfers/{id}',
    ]);
  });

  it('opens accounts idempotently, with scopes, field errors and conflicts', async () => {
    const alice = { id: 'alice', currency: 'USD', minBalanceMinor: null };
    expect((await call('POST', '/accounts', { key: null, body: alice })).status).toBe(401);
    const forbidden = await call('POST', '/accounts', { key: reader, body: alice });
    expect(forbidden.status).toBe(403);
    const created = await call('POST', '/accounts', { body: alice });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      status: 'CREATED',
      account: {
        id: 'alice',
        currency: 'USD',
        scale: 2,
        minBalanceMinor: null,
        createdBy: 'api-key:writer',
      },
    });
    expect((await call('POST', '/accounts', { body: alice })).status).toBe(200);
    const other = await call('POST', '/accounts', { body: { ...alice, currency: 'EUR' } });
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('LEDGER.ACCOUNT_EXISTS');
    const bob = await call('POST', '/accounts', {
      body: { id: 'bob', currency: 'USD', maxBalanceMinor: '5000', metadata: { tier: 'gold' } },
    });
    expect(bob.status).toBe(201);
    expect(
      (await call('POST', '/accounts', { body: { id: 'carol', currency: 'USD' } })).status,
    ).toBe(201);
    const bad = await call('POST', '/accounts', {
      body: { id: 'x y', currency: 'US', minBalanceMinor: '12', extra: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect((bad.json.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'currency',
      'extra',
      'id',
    ]);
    // Shape is fine, the domain refuses the bound: still a 400 with the field and the code.
    const bound = await call('POST', '/accounts', {
      body: { id: 'dave', currency: 'USD', minBalanceMinor: '12' },
    });
    expect(bound.status).toBe(400);
    expect(bound.json.errors).toEqual([
      expect.objectContaining({ field: 'minBalanceMinor', code: 'LEDGER.INVALID_BOUNDS' }),
    ]);
  });

  it('posts transfers from Kafka; duplicates, conflicts, invalid messages and expiry are counted', async () => {
    const t0 = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = transfer({ amountMinor: 1200 });
    const second = transfer({ amountMinor: 300, description: 'second' });
    const third = transfer({ debitAccountId: 'carol', creditAccountId: 'bob', amountMinor: 1 });
    const pending = transfer({ kind: 'PENDING', amountMinor: 50, timeoutSeconds: 1 });
    const tooMuch = transfer({ amountMinor: 6000 }); // beyond bob's upper bound (5000) alone
    const invalid = transfer({ sourceSystem: '' });
    await publish([
      first,
      second,
      third,
      pending,
      tooMuch,
      { ...first, eventId: randomUUID() }, // a re-send
      { ...second, eventId: randomUUID(), amountMinor: 301 }, // same id, other body
      invalid,
    ]);
    // Different transfer ids travel on different partitions: no order between them is promised.
    const firstOutcome = await outcome(first.transferId);
    expect(firstOutcome).toMatchObject({
      status: 'POSTED',
      amountMinor: '1200',
      sourceSystem: 'api-test',
      requestEventId: first.eventId,
    });
    expect(['1200', '1500']).toContain(
      (firstOutcome.creditBalanceAfter as { postedMinor: string }).postedMinor,
    );
    expect(await outcome(second.transferId)).toMatchObject({
      status: 'POSTED',
      amountMinor: '300',
    });
    expect(await outcome(third.transferId)).toMatchObject({
      status: 'REJECTED',
      code: 'LEDGER.INSUFFICIENT_FUNDS',
      debitBalanceAfter: null,
    });
    expect(await outcome(tooMuch.transferId)).toMatchObject({
      status: 'REJECTED',
      code: 'LEDGER.BOUND_EXCEEDED',
    });
    expect(await outcome(pending.transferId)).toMatchObject({ status: 'PENDING' });
    await waitFor('reservation expired', async () => {
      const t = await call('GET', `/transfers/${pending.transferId}`);
      return t.json.pendingState === 'EXPIRED';
    });
    const dead = await readAll(p.kafka, dlqTopicName(requestTopic), 1);
    expect(dead.map((d) => [d.key, d.headers['dlq-reason']])).toEqual([
      [invalid.transferId, 'VALIDATION.INVALID'],
    ]);
    expect((await call('GET', `/transfers/${invalid.transferId}`)).status).toBe(404);

    await waitFor(
      'metrics',
      async () =>
        (await metric('streamline_ledger_transfers_total', { outcome: 'conflict' })) === 1,
    );
    expect(
      await metric('streamline_ledger_transfers_total', { currency: 'USD', outcome: 'posted' }),
    ).toBe(2);
    expect(await metric('streamline_ledger_transfers_total', { outcome: 'duplicate' })).toBe(1);
    expect(await metric('streamline_ledger_transfers_total', { outcome: 'invalid' })).toBe(1);
    expect(await metric('streamline_ledger_transfers_total', { outcome: 'pending' })).toBe(1);
    expect(await metric('streamline_ledger_transfers_total', { outcome: 'rejected' })).toBe(2);
    await waitFor(
      'expired counted',
      async () => (await metric('streamline_ledger_transfers_total', { outcome: 'expired' })) === 1,
    );
    expect(await metric('streamline_ledger_volume_minor_total', { currency: 'USD' })).toBe(1500);
    expect(
      await metric('streamline_ledger_rejections_total', { code: 'LEDGER.INSUFFICIENT_FUNDS' }),
    ).toBe(1);
    expect(
      await metric('streamline_ledger_rejections_total', { code: 'LEDGER.BOUND_EXCEEDED' }),
    ).toBe(1);
    expect(await metric('streamline_ledger_batch_size_requests_count', {})).toBeGreaterThan(0);
    expect(await metric('streamline_ledger_post_duration_seconds_count', {})).toBeGreaterThan(0);

    // Balances now, and as of before the first transfer.
    const bob = await call('GET', '/accounts/bob', { key: reader });
    expect(bob.json).toMatchObject({
      id: 'bob',
      maxBalanceMinor: '5000',
      balance: { postedMinor: '1500', availableMinor: '1500', pendingCreditsMinor: '0' },
      entryCount: '2',
      metadata: { tier: 'gold' },
    });
    const past = await call('GET', `/accounts/bob?asOf=${encodeURIComponent(t0.toISOString())}`, {
      key: reader,
    });
    expect(past.json).toMatchObject({
      accountId: 'bob',
      postedMinor: '0',
      entrySeq: '0',
      entryPostedAt: null,
    });
    const now = await call(
      'GET',
      `/accounts/bob?asOf=${encodeURIComponent(new Date().toISOString())}`,
    );
    expect(now.json).toMatchObject({ postedMinor: '1500', entrySeq: '2' });
  });

  it('pages through entries with a keyset cursor, both ways', async () => {
    await publish(
      Array.from({ length: 7 }, (_, i) =>
        transfer({ debitAccountId: 'alice', creditAccountId: 'carol', amountMinor: i + 1 }),
      ),
    );
    await waitFor('carol has 7 entries', async () => {
      const c = await call('GET', '/accounts/carol');
      return c.json.entryCount === '7';
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${cursor}`;
      const page = await call('GET', `/accounts/carol/entries${query}`, { key: reader });
      expect(page.status).toBe(200);
      const entries = page.json.entries as Array<{
        seq: string;
        side: string;
        counterpartyAccountId: string;
      }>;
      seen.push(...entries.map((e) => e.seq));
      expect(entries.every((e) => e.side === 'CREDIT' && e.counterpartyAccountId === 'alice')).toBe(
        true,
      );
      cursor = page.json.nextCursor as string | null;
      pages += 1;
    } while (cursor !== null);
    expect(seen).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(pages).toBe(3);
    const desc = await call('GET', '/accounts/carol/entries?limit=2&order=desc');
    expect((desc.json.entries as Array<{ seq: string }>).map((e) => e.seq)).toEqual(['7', '6']);
    expect(desc.json.nextCursor).toBe('6');
  });

  it('answers 404 with a code for unknown ids and 400 for malformed parameters', async () => {
    const account = await call('GET', '/accounts/nobody');
    expect(account.status).toBe(404);
    expect(account.json).toMatchObject({ statusCode: 404, code: 'LEDGER.ACCOUNT_NOT_FOUND' });
    expect((await call('GET', '/accounts/nobody/entries')).json.code).toBe(
      'LEDGER.ACCOUNT_NOT_FOUND',
    );
    expect((await call('POST', '/accounts/nobody/close')).status).toBe(404);
    const missing = await call('GET', `/transfers/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('LEDGER.TRANSFER_NOT_FOUND');
    expect((await call('GET', '/transfers/not-a-uuid')).status).toBe(400);
    expect((await call('GET', '/accounts/alice?asOf=yesterday')).status).toBe(400);
    const page = await call('GET', '/accounts/alice/entries?limit=5000&cursor=x&order=sideways');
    expect(page.status).toBe(400);
    expect((page.json.errors as Array<{ field: string }>).map((e) => e.field)).toEqual([
      'limit',
      'cursor',
      'order',
    ]);
  });

  it('treats SQL-injection strings in parameters as plain data', async () => {
    const injections = [
      "x';DROP/**/TABLE/**/ledger.accounts;--",
      "' OR '1'='1",
      "alice' OR 1=1 --",
      'alice"; DELETE FROM ledger.balances; --',
      '1);TRUNCATE/**/ledger.entries;--',
    ];
    for (const text of injections) {
      const id = encodeURIComponent(text);
      expect([400, 404]).toContain((await call('GET', `/accounts/${id}`)).status);
      expect([400, 404]).toContain((await call('GET', `/accounts/${id}/entries`)).status);
      expect([400, 404]).toContain((await call('POST', `/accounts/${id}/close`)).status);
      expect((await call('GET', `/transfers/${id}`)).status).toBe(400);
      expect((await call('GET', `/accounts/alice/entries?cursor=${id}`)).status).toBe(400);
      expect((await call('GET', `/accounts/alice?asOf=${id}`)).status).toBe(400);
    }
    // An id that is valid visible ASCII is stored and found as the literal text it is.
    const literal = "x';DROP/**/TABLE/**/ledger.balances;--";
    const created = await call('POST', '/accounts', { body: { id: literal, currency: 'USD' } });
    expect(created.status).toBe(201);
    const got = await call('GET', `/accounts/${encodeURIComponent(literal)}`);
    expect(got.status).toBe(200);
    expect(got.json.id).toBe(literal);
    // Nothing was dropped, truncated or rewritten.
    const { rows } = await pool.query<{ accounts: string; entries: string; alice: string }>(
      `SELECT (SELECT count(*) FROM ledger.accounts)::text AS accounts,
              (SELECT count(*) FROM ledger.entries)::text AS entries,
              (SELECT (credits_posted - debits_posted)::text FROM ledger.balances WHERE account_id = 'alice') AS alice`,
    );
    expect(rows[0]).toEqual({ accounts: '4', entries: '18', alice: '-1528' });
  });

  it('closes an account: later transfers to it are rejected with ACCOUNT_CLOSED', async () => {
    const closed = await call('POST', '/accounts/carol/close');
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ status: 'CLOSED', closedBy: 'api-key:writer' });
    expect((await call('POST', '/accounts/carol/close')).status).toBe(200); // idempotent
    const late = transfer({ creditAccountId: 'carol', amountMinor: 5 });
    await publish([late]);
    expect(await outcome(late.transferId)).toMatchObject({
      status: 'REJECTED',
      code: 'LEDGER.ACCOUNT_CLOSED',
    });
  });
});
