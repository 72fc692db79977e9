import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { type LogLine } from '../../src/platform/schemas/generated.js';
import { type RunningService } from '../../src/platform/service/run-service.js';
import { verifyWebhook } from '../../src/notifier/domain/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, type TestPlatform, uniqueName } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';
import {
  ALL_SCOPES,
  api,
  bootstrap,
  produceLines,
  startAlerting,
  startNotifier,
  waitForAlerts,
  WebhookReceiver,
} from './alerts-support.js';

/**
 * The whole path on the real stack: log lines → alerting → alerts.events → notifier →
 * a loopback webhook receiver (signed, Alertmanager format, with the matching lines) and the
 * real Alertmanager; silences; a receiver that is down for a while.
 */
const run = randomBytes(3).toString('hex');
const alertmanagerUrl = (process.env.ALERTMANAGER_URL ?? 'http://127.0.0.1:19093').replace(
  /\/+$/,
  '',
);
const rules = `
version: 1
defaults:
  realert: 0s
rules:
  - id: e2e-disk
    type: pattern
    severity: critical
    match: { keywords: ['no space left on device'] }
    group_by: [host]
    resolve_after: 1h
  - id: e2e-burst
    type: frequency
    severity: high
    threshold: 3
    timeframe: 1m
    match: { keywords: [connection refused] }
    group_by: [host]
  - id: e2e-down
    type: pattern
    severity: warning
    match: { regex: 'down-probe (?<n>\\d+)' }
    group_by: [fields.n]
    resolve_after: 1h
  - id: e2e-panic
    type: pattern
    severity: critical
    match: { keywords: [kernel panic] }
    group_by: [host]
    resolve_after: 1h
  - id: e2e-am-${run}
    type: pattern
    severity: high
    labels: { team: e2e }
    match: { keywords: ['am-probe-${run}'] }
    group_by: [host]
    resolve_after: 1h
`;

let seq = 0;
function line(message: string, host: string, extra: Partial<LogLine> = {}): LogLine {
  seq++;
  return {
    eventId: randomUUID(),
    timestamp: Date.now() + seq, // strictly increasing
    source: 'e2e',
    host,
    level: 'ERROR',
    message,
    fields: {},
    ...extra,
  };
}

describe('alert notifications end to end (alerting + notifier, real stack)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let p: TestPlatform;
  let alerting: RunningService;
  let notifier: RunningService;
  let a: ReturnType<typeof api>;
  let n: ReturnType<typeof api>;
  const prefix = `${uniqueName('aln')}.`;
  const receivers: WebhookReceiver[] = [];

  async function receiver(): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  }

  async function subscribe(id: string, body: Record<string, unknown>): Promise<void> {
    const res = await n.post('/subscriptions', { id, ...body });
    expect(res.status).toBe(201);
  }

  const webhook = (url: string, secret: string, ruleIds: string[]) => ({
    receiver: { type: 'webhook', url, secret },
    filter: { ruleIds },
    route: { groupBy: ['...'], groupWait: '0s', groupInterval: '1s', repeatInterval: '1h' },
  });

  beforeAll(async () => {
    db = await createTestDatabase('aln');
    pool = db.pool(2);
    p = await createTestPlatform();
    await bootstrap(p, prefix);
    const dir = mkdtempSync(join(tmpdir(), 'alerts-notify-'));
    writeFileSync(join(dir, 'rules.yaml'), rules);
    const common = { DATABASE_URL: db.url, KAFKA_TOPIC_PREFIX: prefix };
    alerting = await startAlerting({
      ...common,
      ALERTING_GROUP_ID: uniqueName('aln-alerting'),
      ALERT_RULES_FILE: join(dir, 'rules.yaml'),
      ALERT_TICK_INTERVAL_MS: '200',
    });
    notifier = await startNotifier({
      ...common,
      NOTIFIER_GROUP_ID: uniqueName('aln-notifier'),
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      WEBHOOK_ALLOW_HTTP: 'true',
      ALERTMANAGER_URL: alertmanagerUrl,
      NOTIFIER_SECRET_KEY: randomBytes(32).toString('hex'),
      NOTIFIER_RETRY_BASE_DELAY_MS: '100',
      NOTIFIER_RETRY_MAX_DELAY_MS: '400',
      NOTIFIER_DELIVERY_POLL_MS: '200',
    });
    const { key } = await createApiKey(pool, { name: 'e2e', scopes: ALL_SCOPES });
    a = api(alerting.url, key);
    n = api(notifier.url, key);
    await waitFor('both ready', async () => {
      const [x, y] = await Promise.all([
        fetch(`${alerting.url}/health/ready`),
        fetch(`${notifier.url}/health/ready`),
      ]);
      return x.status === 200 && y.status === 200;
    });
  });

  afterAll(async () => {
    await notifier?.shutdown('test done');
    await alerting?.shutdown('test done');
    for (const r of receivers) await r.stop();
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  it('delivers each notification once to a loopback webhook, signed, with the matching lines', async () => {
    const r = await receiver();
    const secret = `s-${randomBytes(16).toString('hex')}`;
    await subscribe('hook-main', webhook(r.url, secret, ['e2e-disk', 'e2e-burst']));
    // The secret is never returned.
    const got = await n.get<{ receiver: Record<string, unknown> }>('/subscriptions/hook-main');
    expect(got.body.receiver).toEqual({ type: 'webhook', url: r.url, secretSet: true });
    expect(JSON.stringify((await n.get('/subscriptions')).body)).not.toContain(secret);

    const lines = [
      line('write failed: No space left on device (/var/lib/db)', 'db-1'),
      line('all good', 'db-1', { level: 'INFO' }),
      line('write failed: no space left on device (/tmp)', 'db-2'),
      line('upstream: connection refused', 'web-1'),
      line('upstream: connection refused', 'web-1'),
      line('write failed: no space left on device again', 'db-1'),
      line('upstream: connection refused', 'web-1'),
    ];
    await produceLines(p, prefix, lines);
    await waitFor('three notifications', () => r.received.length >= 3, { timeoutMs: 30_000 });
    // Each alert once: nothing more arrives (re-alert 0s: only state changes notify).
    const deliveries = await waitFor('delivery log settled', async () => {
      const res = await n.get<{ items: Array<{ status: string; notificationId: string }> }>(
        '/deliveries?subscription=hook-main',
      );
      return res.body.items.length === 3 && res.body.items.every((d) => d.status === 'delivered')
        ? res.body.items
        : undefined;
    });
    expect(r.received).toHaveLength(3);

    const keys = r.received.map((x) => x.headers['x-streamline-idempotency-key']);
    expect(new Set(keys).size).toBe(3);
    expect(new Set(keys)).toEqual(new Set(deliveries.map((d) => d.notificationId)));
    for (const req of r.received) {
      expect(
        verifyWebhook(
          req.headers['x-streamline-signature'],
          req.raw,
          secret,
          Math.floor(Date.now() / 1000),
        ),
      ).toEqual({ ok: true });
      expect(
        verifyWebhook(
          req.headers['x-streamline-signature'],
          req.raw,
          'wrong-secret-0000',
          Math.floor(Date.now() / 1000),
        ).ok,
      ).toBe(false);
      expect(req.body).toMatchObject({ version: '4', status: 'firing', receiver: 'hook-main' });
      expect(req.headers['idempotency-key']).toBe(req.headers['x-streamline-idempotency-key']);
    }
    const byGroup = new Map(
      r.alerts().map((x) => [`${x.labels['alertname']} ${x.labels['host']}`, x]),
    );
    expect([...byGroup.keys()].sort()).toEqual([
      'e2e-burst web-1',
      'e2e-disk db-1',
      'e2e-disk db-2',
    ]);
    const disk1 = byGroup.get('e2e-disk db-1')!;
    expect(disk1.streamline.firstLines[0]).toMatchObject({
      eventId: lines[0]!.eventId,
      message: lines[0]!.message,
    });
    expect(disk1.annotations['log_lines']).toContain('No space left on device (/var/lib/db)');
    const burst = byGroup.get('e2e-burst web-1')!;
    expect(burst.streamline.matchCount).toBe(3);
    expect(burst.streamline.firstLines.map((l) => l.eventId)).toEqual([
      lines[3]!.eventId,
      lines[4]!.eventId,
      lines[6]!.eventId,
    ]);

    // The alert rows carry state, count and evidence; acknowledging is reflected.
    const [row] = await waitForAlerts(
      a,
      'rule=e2e-disk&label=host=db-1',
      (items) => items[0]?.['matchCount'] === 2,
      'db-1 counted twice',
    );
    const ack = await a.post<{ state: string; acknowledged: { by: string } }>(
      `/alerts/${String(row!['alertId'])}/acknowledge`,
      { comment: 'on it' },
    );
    expect(ack.status).toBe(200);
    expect(ack.body.state).toBe('acknowledged');
    expect(
      (await a.get<{ items: unknown[] }>('/alerts?state=acknowledged&rule=e2e-disk')).body.items,
    ).toHaveLength(1);
  });

  it('a subscriber that is down for a while gets everything once it is back (no loss, duplicates only by idempotency key)', async () => {
    const r = await receiver();
    r.status = 503;
    const secret = `s-${randomBytes(16).toString('hex')}`;
    await subscribe('hook-down', webhook(r.url, secret, ['e2e-down']));
    const lines = Array.from({ length: 6 }, (_, i) => line(`down-probe ${i} happened`, 'x'));
    await produceLines(p, prefix, lines);
    // Every alert's delivery has failed at least twice (each group is its own ordered lane).
    const pending = await waitFor(
      'every delivery refused twice',
      async () => {
        const res = await n.get<{
          items: Array<{ status: string; attempts: number; lastError: string | null }>;
        }>('/deliveries?subscription=hook-down');
        return res.body.items.length === 6 && res.body.items.every((d) => d.attempts >= 2)
          ? res.body.items
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(pending.every((d) => d.status === 'pending' && d.lastError === 'HTTP 503')).toBe(true);
    expect(r.received).toHaveLength(0);

    r.status = 200;
    await waitFor(
      'all six alerts received',
      () => new Set(r.alerts().map((x) => x.streamline.alertId)).size === 6,
      {
        timeoutMs: 30_000,
      },
    );
    const log = await waitFor('all delivered', async () => {
      const res = await n.get<{ items: Array<{ status: string; notificationId: string }> }>(
        '/deliveries?subscription=hook-down',
      );
      return res.body.items.every((d) => d.status === 'delivered') ? res.body.items : undefined;
    });
    const alerts = r.alerts();
    expect(new Set(alerts.map((x) => x.labels['fields_n'] ?? x.labels['n'])).size).toBe(6);
    // Every request is a logged notification; the same alert never arrives under two keys.
    const keys = new Set(r.received.map((x) => x.headers['x-streamline-idempotency-key']));
    expect(keys).toEqual(new Set(log.map((d) => d.notificationId)));
    const keysOfEvent = new Map<string, Set<string>>();
    for (const x of alerts)
      keysOfEvent.set(
        x.streamline.eventId,
        (keysOfEvent.get(x.streamline.eventId) ?? new Set()).add(x.key),
      );
    expect([...keysOfEvent.values()].every((k) => k.size === 1)).toBe(true);
    const attempts = await n.get<{ attemptLog: Array<{ outcome: string }> }>(
      `/deliveries/${(await n.get<{ items: Array<{ id: string }> }>('/deliveries?subscription=hook-down&limit=1000')).body.items.at(-1)!.id}`,
    );
    expect(attempts.body.attemptLog.at(-1)!.outcome).toBe('delivered');
  });

  it('dead-letters a delivery the receiver refuses, with the reason', async () => {
    const r = await receiver();
    r.status = 400;
    await subscribe(
      'hook-refuses',
      webhook(r.url, `s-${randomBytes(16).toString('hex')}`, ['e2e-down']),
    );
    await produceLines(p, prefix, [line('down-probe 99 refused', 'x')]);
    const dead = await waitFor('dead letter', async () => {
      const res = await n.get<{
        items: Array<{ reason: string; message: string; subscriptionId: string }>;
      }>('/dead-letters?subscription=hook-refuses');
      return res.body.items[0];
    });
    expect(dead).toMatchObject({
      reason: 'DELIVERY.REJECTED',
      message: expect.stringContaining('HTTP 400') as string,
    });
    const log = await n.get<{ items: Array<{ status: string }> }>(
      '/deliveries?subscription=hook-refuses&status=dead_lettered',
    );
    expect(log.body.items).toHaveLength(1);
  });

  it('refuses webhook targets outside the allow-list', async () => {
    const res = await n.post<{ errors: Array<{ code: string }> }>('/subscriptions', {
      id: 'hook-internal',
      receiver: { type: 'webhook', url: 'http://10.1.2.3/hook', secret: 'x'.repeat(20) },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]!.code).toBe('TARGET.ADDRESS_NOT_ALLOWED');
  });

  it('forwards alerts to the real Alertmanager, and resolves them there', async () => {
    await subscribe('alertmanager', {
      receiver: { type: 'alertmanager' },
      filter: { ruleIds: [`e2e-am-${run}`] },
    });
    await produceLines(p, prefix, [line(`am-probe-${run}: disk controller reset`, 'am-host')]);
    const filter = encodeURIComponent(`alertname="e2e-am-${run}"`);
    const found = await waitFor(
      'alert in Alertmanager',
      async () => {
        const res = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=${filter}`);
        const list = (await res.json()) as Array<{
          labels: Record<string, string>;
          annotations: Record<string, string>;
          status: { state: string };
          endsAt: string;
        }>;
        return list[0];
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(found.labels).toMatchObject({
      alertname: `e2e-am-${run}`,
      severity: 'high',
      team: 'e2e',
      host: 'am-host',
    });
    expect(found.annotations['log_lines']).toContain(`am-probe-${run}: disk controller reset`);
    expect(Date.parse(found.endsAt)).toBeGreaterThan(Date.now()); // endsAt = now + TTL while firing

    // Deleting the rule resolves its alert; the RESOLVED reaches Alertmanager (endsAt now).
    expect((await a.del(`/rules/e2e-am-${run}`)).status).toBe(200);
    await waitFor(
      'alert resolved in Alertmanager',
      async () => {
        const res = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=${filter}`);
        const list = (await res.json()) as unknown[];
        return list.length === 0;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  it('a silence suppresses notifications; expiring it notifies at once, and so does its natural end', async () => {
    const r = await receiver();
    await subscribe(
      'hook-silence',
      webhook(r.url, `s-${randomBytes(16).toString('hex')}`, ['e2e-panic']),
    );
    const long = await a.post<{ id: string; state: string }>('/silences', {
      matchers: ['alertname=e2e-panic', 'host=node-a'],
      duration: '1h',
      comment: 'maintenance',
    });
    expect(long.status).toBe(201);
    const short = await a.post<{ id: string }>('/silences', {
      matchers: ['alertname=e2e-panic', 'host=node-b'],
      duration: '3s',
    });
    expect(short.status).toBe(201);
    await produceLines(p, prefix, [
      line('Kernel panic - not syncing: VFS', 'node-a'),
      line('Kernel panic - not syncing: VFS', 'node-b'),
      line('Kernel panic - not syncing: VFS', 'node-c'),
    ]);
    // node-c is not silenced: notified; node-a and node-b are silenced: nothing.
    await waitFor('node-c notified', () => r.alerts().some((x) => x.labels['host'] === 'node-c'));
    const silenced = await waitForAlerts(
      a,
      'rule=e2e-panic&state=silenced',
      (items) => items.length >= 1,
      'silenced alerts',
    );
    expect(silenced.map((x) => (x['labels'] as Record<string, string>)['host'])).toContain(
      'node-a',
    );
    expect(r.alerts().some((x) => x.labels['host'] === 'node-a')).toBe(false);

    // The 3 s silence ends by itself: node-b is notified without any new line.
    await waitFor(
      'node-b notified after its silence ended',
      () => r.alerts().some((x) => x.labels['host'] === 'node-b'),
      {
        timeoutMs: 20_000,
      },
    );
    expect(r.alerts().some((x) => x.labels['host'] === 'node-a')).toBe(false);

    // Expiring the 1 h silence notifies node-a at once.
    const expired = await a.del<{ state: string }>(`/silences/${long.body.id}`);
    expect(expired.status).toBe(200);
    expect(expired.body.state).toBe('expired');
    await waitFor(
      'node-a notified after expiry',
      () => r.alerts().some((x) => x.labels['host'] === 'node-a'),
      {
        timeoutMs: 20_000,
      },
    );
    for (const host of ['node-a', 'node-b', 'node-c'])
      expect(r.alerts().filter((x) => x.labels['host'] === host)).toHaveLength(1);
  });
});
