import { type AlertEvent } from '../../platform/schemas/generated.js';
import { NotificationScheduler } from './notification-scheduler.js';
import { type CompiledSubscription, validateSubscription } from './subscription.js';

const SEC = 1000;
const T0 = 1_700_000_000_000;

function sub(input: Record<string, unknown>): CompiledSubscription {
  const r = validateSubscription({
    id: 'team-a',
    receiver: { type: 'webhook', url: 'https://hooks.example.com/x', secret: 's'.repeat(32) },
    ...input,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

let seq = 0;
function ev(
  fp: string,
  status: 'FIRING' | 'RESOLVED',
  at: number,
  labels: Record<string, string> = {},
  alertId = `alert-${fp}`,
): AlertEvent {
  seq++;
  return {
    eventId: `e-${seq}`,
    alertId,
    fingerprint: fp,
    ruleId: labels['alertname'] ?? 'oom',
    ruleName: 'Out of memory',
    ruleType: 'pattern',
    status,
    severity: labels['severity'] ?? 'critical',
    groupKey: '',
    labels: { alertname: 'oom', severity: 'critical', ...labels },
    annotations: { summary: 's' },
    matchCount: 1,
    firstLines: [],
    lastLines: [],
    startsAt: T0,
    endsAt: status === 'RESOLVED' ? at : null,
    emittedAt: at,
  };
}

const route = {
  groupBy: ['alertname'],
  groupWaitMs: 30 * SEC,
  groupIntervalMs: 300 * SEC,
  repeatIntervalMs: 3600 * SEC,
};
const brief = (ns: ReturnType<NotificationScheduler['due']>): string[] =>
  ns.map((n) => `${n.status}:${n.alerts.map((a) => `${a.fingerprint}=${a.status}`).join(',')}`);

describe('NotificationScheduler (Alertmanager pacing)', () => {
  it('waits group_wait, batches alerts of the same group, then paces by group_interval', () => {
    const s = new NotificationScheduler([sub({ route })]);
    s.ingest(ev('a', 'FIRING', T0), T0);
    s.ingest(ev('b', 'FIRING', T0 + 10 * SEC), T0 + 10 * SEC);
    expect(s.nextWakeAt()).toBe(T0 + 30 * SEC);
    expect(s.due(T0 + 29 * SEC)).toEqual([]);
    expect(brief(s.due(T0 + 30 * SEC))).toEqual(['firing:a=FIRING,b=FIRING']);
    // A new alert joins; it goes out at the next group_interval tick, not at once.
    s.ingest(ev('c', 'FIRING', T0 + 40 * SEC), T0 + 40 * SEC);
    expect(s.due(T0 + 60 * SEC)).toEqual([]);
    expect(brief(s.due(T0 + 330 * SEC))).toEqual(['firing:a=FIRING,b=FIRING,c=FIRING']);
    // Nothing new: nothing sent at the next interval.
    expect(s.due(T0 + 630 * SEC)).toEqual([]);
  });

  it('repeats a still-firing group after repeat_interval', () => {
    const s = new NotificationScheduler([sub({ route })]);
    s.ingest(ev('a', 'FIRING', T0), T0);
    expect(s.due(T0 + 30 * SEC)).toHaveLength(1);
    let sent = 0;
    for (let t = T0 + 330 * SEC; t <= T0 + 3630 * SEC; t += 300 * SEC) sent += s.due(t).length;
    expect(sent).toBe(1);
  });

  it('sends resolved alerts that were notified, then forgets them and the empty group', () => {
    const s = new NotificationScheduler([sub({ route })]);
    s.ingest(ev('a', 'FIRING', T0), T0);
    s.due(T0 + 30 * SEC);
    s.ingest(ev('a', 'RESOLVED', T0 + 100 * SEC), T0 + 100 * SEC);
    expect(brief(s.due(T0 + 330 * SEC))).toEqual(['resolved:a=RESOLVED']);
    expect(s.groupCount).toBe(0);
  });

  it('does not announce the resolution of an alert nobody was told about, nor with send_resolved off', () => {
    const s = new NotificationScheduler([sub({ route })]);
    s.ingest(ev('a', 'FIRING', T0), T0);
    s.ingest(ev('a', 'RESOLVED', T0 + 5 * SEC), T0 + 5 * SEC);
    expect(s.due(T0 + 30 * SEC)).toEqual([]);
    const quiet = new NotificationScheduler([sub({ route, sendResolved: false })]);
    quiet.ingest(ev('a', 'FIRING', T0), T0);
    quiet.due(T0 + 30 * SEC);
    quiet.ingest(ev('a', 'RESOLVED', T0 + 60 * SEC), T0 + 60 * SEC);
    expect(quiet.due(T0 + 330 * SEC)).toEqual([]);
  });

  it('splits groups by group_by labels and filters by severity, rule and label matchers', () => {
    const s = new NotificationScheduler([
      sub({ id: 'by-host', route: { ...route, groupBy: ['host'] } }),
      sub({
        id: 'critical-db',
        route,
        filter: { minSeverity: 'critical', matchers: ['host=~"db-.*"'] },
      }),
      sub({ id: 'only-disk', route, filter: { ruleIds: ['disk-full'] } }),
    ]);
    expect(s.ingest(ev('a', 'FIRING', T0, { host: 'db-1' }), T0).routedTo).toEqual([
      'by-host',
      'critical-db',
    ]);
    expect(s.ingest(ev('b', 'FIRING', T0, { host: 'web-1' }), T0).routedTo).toEqual(['by-host']);
    expect(
      s.ingest(ev('c', 'FIRING', T0, { host: 'db-2', severity: 'warning' }), T0).routedTo,
    ).toEqual(['by-host']);
    expect(
      s.ingest(ev('d', 'FIRING', T0, { alertname: 'disk-full', host: 'x' }), T0).routedTo,
    ).toEqual(['by-host', 'only-disk']);
    const ns = s.due(T0 + 30 * SEC);
    expect(ns.map((n) => `${n.subscriptionId} ${n.groupKey} ${n.alerts.length}`).sort()).toEqual([
      'by-host {}/{subscription="by-host"}:{host="db-1"} 1',
      'by-host {}/{subscription="by-host"}:{host="db-2"} 1',
      'by-host {}/{subscription="by-host"}:{host="web-1"} 1',
      'by-host {}/{subscription="by-host"}:{host="x"} 1',
      'critical-db {}/{subscription="critical-db"}:{alertname="oom"} 1',
      'only-disk {}/{subscription="only-disk"}:{alertname="disk-full"} 1',
    ]);
  });

  it('is idempotent on redelivered events and ignores stale ones', () => {
    const s = new NotificationScheduler([sub({ route })]);
    const firing = ev('a', 'FIRING', T0);
    const resolved = ev('a', 'RESOLVED', T0 + 5 * SEC);
    s.ingest(firing, T0);
    s.due(T0 + 30 * SEC);
    s.ingest(firing, T0 + 31 * SEC);
    expect(s.due(T0 + 330 * SEC)).toEqual([]);
    s.ingest(resolved, T0 + 331 * SEC);
    s.ingest(firing, T0 + 332 * SEC);
    expect(brief(s.due(T0 + 630 * SEC))).toEqual(['resolved:a=RESOLVED']);
  });

  it('gives deterministic, unique notification ids that survive a snapshot', () => {
    const run = (): string[] => {
      const s = new NotificationScheduler([sub({ route })]);
      s.ingest(ev('a', 'FIRING', T0, {}, 'x1'), T0);
      const ids = s.due(T0 + 30 * SEC).map((n) => n.id);
      const restored = new NotificationScheduler(
        [sub({ route })],
        JSON.parse(JSON.stringify(s.snapshot())) as ReturnType<NotificationScheduler['snapshot']>,
      );
      restored.ingest({ ...ev('b', 'FIRING', T0 + 40 * SEC), eventId: 'fixed-b' }, T0 + 40 * SEC);
      return [...ids, ...restored.due(T0 + 330 * SEC).map((n) => n.id)];
    };
    seq = 0;
    const a = run();
    seq = 0;
    const b = run();
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
  });
});
