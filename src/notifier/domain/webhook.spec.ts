import { type AlertEvent } from '../../platform/schemas/generated.js';
import { toPostableAlerts } from './alertmanager-api.js';
import { type Notification } from './notification-scheduler.js';
import { buildWebhookPayload, ZERO_TIME } from './webhook-payload.js';
import { signWebhook, verifyWebhook, webhookHeaders } from './webhook-signature.js';

const line = (i: number): NonNullable<AlertEvent['firstLines']>[number] => ({
  eventId: `l${i}`,
  timestamp: Date.UTC(2024, 0, 1, 0, 0, i),
  source: 'linux',
  host: 'combo',
  level: null,
  message: `authentication failure #${i}`,
  truncated: false,
});

const event = (
  fp: string,
  status: 'FIRING' | 'RESOLVED',
  labels: Record<string, string>,
): AlertEvent => ({
  eventId: `ev-${fp}`,
  alertId: `al-${fp}`,
  fingerprint: fp,
  ruleId: 'auth-burst',
  ruleName: 'Auth burst',
  ruleType: 'frequency',
  status,
  severity: 'high',
  groupKey: `host=${labels['host'] ?? ''}`,
  labels: { alertname: 'auth-burst', severity: 'high', ...labels },
  annotations: { summary: 'Auth failures', description: `on ${labels['host'] ?? ''}` },
  matchCount: 12,
  firstLines: [line(1), line(2)],
  lastLines: [line(11), line(12)],
  startsAt: Date.UTC(2024, 0, 1),
  endsAt: status === 'RESOLVED' ? Date.UTC(2024, 0, 1, 1) : null,
  emittedAt: Date.UTC(2024, 0, 1, 1),
});

const notification: Notification = {
  id: 'n-1',
  subscriptionId: 'team-a',
  groupId: 'g',
  groupKey: '{}/{subscription="team-a"}:{alertname="auth-burst"}',
  groupLabels: { alertname: 'auth-burst' },
  status: 'firing',
  alerts: [event('f1', 'FIRING', { host: 'a' }), event('f2', 'RESOLVED', { host: 'b' })],
  createdAt: 0,
  seq: 0,
};

describe('Alertmanager webhook payload', () => {
  it('has the version 4 shape with common labels/annotations and the matching lines', () => {
    const p = buildWebhookPayload(notification, {
      receiver: 'team-a',
      externalURL: 'https://streamline.example.com/',
    });
    expect(Object.keys(p).sort()).toEqual(
      [
        'alerts',
        'commonAnnotations',
        'commonLabels',
        'externalURL',
        'groupKey',
        'groupLabels',
        'receiver',
        'status',
        'truncatedAlerts',
        'version',
      ].sort(),
    );
    expect([p.version, p.status, p.receiver, p.truncatedAlerts]).toEqual([
      '4',
      'firing',
      'team-a',
      0,
    ]);
    expect(p.commonLabels).toEqual({ alertname: 'auth-burst', severity: 'high' });
    expect(p.commonAnnotations).toEqual({ summary: 'Auth failures' });
    const [firing, resolved] = p.alerts;
    expect(firing).toMatchObject({
      status: 'firing',
      endsAt: ZERO_TIME,
      startsAt: '2024-01-01T00:00:00.000Z',
      fingerprint: 'f1',
      generatorURL: 'https://streamline.example.com/alerts/al-f1',
    });
    expect(resolved).toMatchObject({ status: 'resolved', endsAt: '2024-01-01T01:00:00.000Z' });
    expect(firing!.annotations['log_lines']!.split('\n')).toEqual([
      '2024-01-01T00:00:01.000Z combo - authentication failure #1',
      '2024-01-01T00:00:02.000Z combo - authentication failure #2',
      '… 8 more matching line(s) …',
      '2024-01-01T00:00:11.000Z combo - authentication failure #11',
      '2024-01-01T00:00:12.000Z combo - authentication failure #12',
    ]);
    expect(firing!.streamline).toMatchObject({
      matchCount: 12,
      ruleId: 'auth-burst',
      eventId: 'ev-f1',
    });
  });

  it('truncates to maxAlerts and says how many were left out', () => {
    const p = buildWebhookPayload(notification, {
      receiver: 'r',
      externalURL: 'https://x',
      maxAlerts: 1,
    });
    expect([p.alerts.length, p.truncatedAlerts]).toEqual([1, 1]);
  });
});

describe('Alertmanager POST /api/v2/alerts mapping', () => {
  it('sends firing alerts with a TTL and resolved ones with their real end', () => {
    const now = Date.UTC(2024, 0, 1, 2);
    const [f, r] = toPostableAlerts(notification.alerts, {
      now,
      externalURL: 'https://x',
      firingTtlMs: 600_000,
    });
    expect(f).toMatchObject({
      labels: { alertname: 'auth-burst', severity: 'high', host: 'a' },
      endsAt: '2024-01-01T02:10:00.000Z',
      generatorURL: 'https://x/alerts/al-f1',
    });
    expect(f!.annotations['match_count']).toBe('12');
    expect(r!.endsAt).toBe('2024-01-01T01:00:00.000Z');
  });
});

describe('webhook signatures', () => {
  const body = JSON.stringify({ hello: 'world' });
  const secret = 'a-very-long-shared-secret';

  it('verifies what it signs, within the tolerance', () => {
    const header = signWebhook(body, secret, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(header, body, secret, 1_700_000_100)).toEqual({ ok: true });
    expect(verifyWebhook(header, body, secret, 1_700_000_301)).toEqual({
      ok: false,
      code: 'SIGNATURE.TIMESTAMP_OUT_OF_RANGE',
    });
  });

  it('rejects a changed body, a wrong secret, a forged timestamp and garbage', () => {
    const header = signWebhook(body, secret, 1000);
    expect(verifyWebhook(header, `${body} `, secret, 1000)).toEqual({
      ok: false,
      code: 'SIGNATURE.MISMATCH',
    });
    expect(verifyWebhook(header, body, 'other-secret-value', 1000)).toEqual({
      ok: false,
      code: 'SIGNATURE.MISMATCH',
    });
    expect(verifyWebhook(header.replace('t=1000', 't=1001'), body, secret, 1000)).toEqual({
      ok: false,
      code: 'SIGNATURE.MISMATCH',
    });
    expect(verifyWebhook('nonsense', body, secret, 1000)).toEqual({
      ok: false,
      code: 'SIGNATURE.MALFORMED',
    });
    expect(verifyWebhook(undefined, body, secret, 1000)).toEqual({
      ok: false,
      code: 'SIGNATURE.MALFORMED',
    });
  });

  it('supports secret rotation (several v1 values) and sets the idempotency headers', () => {
    const header = signWebhook(body, ['old-secret-0123456', 'new-secret-0123456'], 50);
    expect(verifyWebhook(header, body, 'new-secret-0123456', 50).ok).toBe(true);
    expect(verifyWebhook(header, body, ['x-secret-000000000', 'old-secret-0123456'], 50).ok).toBe(
      true,
    );
    const h = webhookHeaders({
      body,
      secrets: secret,
      nowSec: 50,
      idempotencyKey: 'n-1',
      attempt: 3,
    });
    expect(h).toMatchObject({
      'X-Streamline-Idempotency-Key': 'n-1',
      'Idempotency-Key': 'n-1',
      'X-Streamline-Delivery-Attempt': '3',
      'Content-Type': 'application/json',
    });
    expect(verifyWebhook(h['X-Streamline-Signature'], body, secret, 50).ok).toBe(true);
  });
});
