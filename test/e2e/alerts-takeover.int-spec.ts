import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { type LogLine } from '../../src/platform/schemas/generated.js';
import { type RunningService } from '../../src/platform/service/run-service.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, type TestPlatform, uniqueName } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';
import {
  ALL_SCOPES,
  api,
  bootstrap,
  produceLines,
  readAlertEvents,
  startAlerting,
  waitForAlerts,
} from './alerts-support.js';

/**
 * Two live alerting instances on one database and consumer group: the one started later takes
 * the engine over at boot; the older one, still holding partitions, is fenced on its next commit
 * (its writes are refused), stops consuming, and its lines reach the new owner. Every line is
 * counted exactly once and every alert fires once — nothing lost, nothing doubled.
 */
const rules = `
version: 1
rules:
  - id: takeover
    type: pattern
    severity: critical
    match: { keywords: [takeover-boom] }
    group_by: [host]
    resolve_after: 1h
    realert: 0s
`;
const HOSTS = 6;
// Many keys so that both instances own partitions that receive lines, whatever the assignment.
const SOURCES = 24;

let seq = 0;
const lines = (n: number): LogLine[] =>
  Array.from({ length: n }, (_, i) => ({
    eventId: randomUUID(),
    timestamp: Date.now() + ++seq,
    source: `takeover-${i % SOURCES}`,
    host: `h${i % HOSTS}`,
    level: 'ERROR',
    message: `takeover-boom number ${seq}`,
    fields: {},
  }));

const totalCount = (items: Array<Record<string, unknown>>): number =>
  items.reduce((n, a) => n + Number(a['matchCount'] ?? 0), 0);

describe('alerting take-over by a second live instance (real stack)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let p: TestPlatform;
  let first: RunningService | undefined;
  let second: RunningService | undefined;
  let key: string;
  const prefix = `${uniqueName('alt')}.`;
  const dir = mkdtempSync(join(tmpdir(), 'alerts-takeover-'));
  const file = join(dir, 'rules.yaml');
  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    ALERTING_GROUP_ID: `${prefix}alerting`,
    ALERT_RULES_FILE: file,
    ALERT_TICK_INTERVAL_MS: '200',
  });

  beforeAll(async () => {
    db = await createTestDatabase('alt');
    pool = db.pool(2);
    p = await createTestPlatform();
    await bootstrap(p, prefix);
    writeFileSync(file, rules);
    first = await startAlerting(env());
    key = (await createApiKey(pool, { name: 'takeover', scopes: ALL_SCOPES })).key;
  });

  afterAll(async () => {
    await second?.shutdown('test done');
    await first?.shutdown('test done');
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  it('fences the older instance on its next commit and counts every line once', async () => {
    const a = api(first!.url, key);
    await produceLines(p, prefix, lines(120));
    const early = await waitForAlerts(
      a,
      'rule=takeover',
      (items) => totalCount(items) === 120,
      '120 lines',
    );

    second = await startAlerting(env());
    const b = api(second.url, key);
    expect((await b.get('/engine')).body).toMatchObject({ fenced: false });

    // Both instances are in the consumer group now; lines land on partitions of both.
    await produceLines(p, prefix, lines(240));
    await waitFor(
      'the first instance fenced',
      async () => ((await a.get('/engine')).body['fenced'] === true ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // Its writes are refused from now on (engine unavailable), reads still answer.
    const ack = await a.post<{ code: string }>(
      `/alerts/${String(early[0]!['alertId'])}/acknowledge`,
    );
    expect(ack).toMatchObject({ status: 503, body: { code: 'ALERTING.UNAVAILABLE' } });
    expect((await a.get('/alerts?rule=takeover')).status).toBe(200);

    const items = await waitForAlerts(
      b,
      'rule=takeover',
      (list) => totalCount(list) >= 360,
      'all 360 lines counted by the new owner',
      60_000,
    );
    expect(totalCount(items)).toBe(360);
    expect(items.map((i) => i['groupKey']).sort()).toEqual(
      Array.from({ length: HOSTS }, (_, h) => `host=h${h}`),
    );
    // The database holds the same (one row per alert, counts not doubled by the fenced writer).
    const rows = await pool.query<{ n: string; matches: string }>(
      `SELECT count(*) AS n, sum(match_count) AS matches FROM alerting.alerts WHERE rule_id = 'takeover'`,
    );
    expect(rows.rows[0]).toEqual({ n: String(HOSTS), matches: '360' });
    // One FIRING event per alert on the topic, none from the fenced instance after take-over.
    const outbox = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM alerting.outbox`);
    const events = await readAlertEvents(p, prefix, Number(outbox.rows[0]!.n));
    const firing = events.filter((e) => e.ruleId === 'takeover' && e.status === 'FIRING');
    expect(firing.map((e) => e.groupKey).sort()).toEqual(
      Array.from({ length: HOSTS }, (_, h) => `host=h${h}`),
    );
    expect((await b.get('/engine')).body).toMatchObject({ fenced: false });
  });
});
