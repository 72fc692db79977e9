import { randomUUID } from 'node:crypto';
import { type LogLine } from '../../src/platform/schemas/generated.js';
import { type RunningService } from '../../src/platform/service/run-service.js';
import { waitFor } from '../support/wait-for.js';
import {
  alertingSuite,
  type AlertingSuite,
  api,
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
  let suite: AlertingSuite;
  let first: RunningService | undefined;
  let second: RunningService | undefined;

  beforeAll(async () => {
    suite = await alertingSuite('alt', rules);
    first = await startAlerting(suite.env());
  });

  afterAll(async () => {
    await second?.shutdown('test done');
    await first?.shutdown('test done');
    await suite?.close();
  });

  it('fences the older instance on its next commit and counts every line once', async () => {
    const a = api(first!.url, suite.key);
    await produceLines(suite.p, suite.prefix, lines(120));
    const early = await waitForAlerts(
      a,
      'rule=takeover',
      (items) => totalCount(items) === 120,
      '120 lines',
    );

    second = await startAlerting(suite.env());
    const b = api(second.url, suite.key);
    expect((await b.get('/engine')).body).toMatchObject({ fenced: false });

    // Both instances are in the consumer group now; lines land on partitions of both.
    await produceLines(suite.p, suite.prefix, lines(240));
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
    const rows = await suite.pool.query<{ n: string; matches: string }>(
      `SELECT count(*) AS n, sum(match_count) AS matches FROM alerting.alerts WHERE rule_id = 'takeover'`,
    );
    expect(rows.rows[0]).toEqual({ n: String(HOSTS), matches: '360' });
    // One FIRING event per alert on the topic, none from the fenced instance after take-over.
    const outbox = await suite.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM alerting.outbox`,
    );
    const events = await readAlertEvents(suite.p, suite.prefix, Number(outbox.rows[0]!.n));
    const firing = events.filter((e) => e.ruleId === 'takeover' && e.status === 'FIRING');
    expect(firing.map((e) => e.groupKey).sort()).toEqual(
      Array.from({ length: HOSTS }, (_, h) => `host=h${h}`),
    );
    expect((await b.get('/engine')).body).toMatchObject({ fenced: false });
  });
});
