import { type AlertEvent } from '../../platform/schemas/generated.js';
import { type GroupState, NotificationScheduler } from './notification-scheduler.js';
import { type CompiledSubscription, validateSubscription } from './subscription.js';

const SEC = 1000;
const T0 = 1_700_000_000_000;

function sub(id: string, groupBy: string[] = ['alertname']): CompiledSubscription {
  const r = validateSubscription({
    id,
    receiver: { type: 'webhook', url: 'https://hooks.example.com/x', secret: 's'.repeat(32) },
    route: {
      groupBy,
      groupWaitMs: 10 * SEC,
      groupIntervalMs: 60 * SEC,
      repeatIntervalMs: 3600 * SEC,
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

let seq = 0;
function ev(fp: string, status: 'FIRING' | 'RESOLVED', at: number, alertname = 'oom'): AlertEvent {
  seq++;
  return {
    eventId: `e-${seq}`,
    alertId: `alert-${fp}`,
    fingerprint: fp,
    ruleId: alertname,
    ruleName: alertname,
    ruleType: 'pattern',
    status,
    severity: 'critical',
    groupKey: '',
    labels: { alertname, severity: 'critical' },
    annotations: {},
    matchCount: 1,
    firstLines: [],
    lastLines: [],
    startsAt: T0,
    endsAt: status === 'RESOLVED' ? at : null,
    emittedAt: at,
  };
}

/** Applies incremental changes to a persisted copy, as the notifier's group table does. */
function apply(table: Map<string, GroupState>, s: NotificationScheduler): void {
  const { upserts, deletes } = s.takeChanges();
  for (const id of deletes) table.delete(id);
  for (const g of upserts) table.set(g.id, g);
}

const sorted = (gs: Iterable<GroupState>): GroupState[] =>
  [...gs].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('NotificationScheduler.takeChanges (incremental persistence)', () => {
  it('reports created, changed and deleted groups so a persisted copy equals the snapshot', () => {
    const s = new NotificationScheduler([sub('a'), sub('b', ['...'])]);
    const table = new Map<string, GroupState>();
    s.ingest(ev('x', 'FIRING', T0), T0);
    s.ingest(ev('y', 'FIRING', T0, 'disk'), T0);
    apply(table, s);
    expect(table.size).toBe(4);
    expect(sorted(table.values())).toEqual(sorted(s.snapshot().groups));

    // Nothing happened: nothing to write.
    expect(s.takeChanges()).toEqual({ upserts: [], deletes: [] });

    s.due(T0 + 10 * SEC);
    apply(table, s);
    expect(sorted(table.values())).toEqual(sorted(s.snapshot().groups));

    s.ingest(ev('x', 'RESOLVED', T0 + 20 * SEC), T0 + 20 * SEC);
    s.due(T0 + 70 * SEC);
    const changes = s.takeChanges();
    expect(changes.deletes.length).toBeGreaterThan(0);
    for (const id of changes.deletes) table.delete(id);
    for (const g of changes.upserts) table.set(g.id, g);
    expect(sorted(table.values())).toEqual(sorted(s.snapshot().groups));
  });

  it('reports groups dropped with their subscription, and a restored scheduler starts clean', () => {
    const s = new NotificationScheduler([sub('a'), sub('b')]);
    s.ingest(ev('x', 'FIRING', T0), T0);
    const table = new Map<string, GroupState>();
    apply(table, s);
    s.setSubscriptions([sub('a')]);
    const { upserts, deletes } = s.takeChanges();
    expect(upserts).toEqual([]);
    expect(deletes).toHaveLength(1);
    for (const id of deletes) table.delete(id);

    const restored = new NotificationScheduler([sub('a')], {
      version: 1,
      groups: [...table.values()],
    });
    expect(restored.takeChanges()).toEqual({ upserts: [], deletes: [] });
    expect(restored.snapshot()).toEqual(s.snapshot());
  });

  it('returns copies: later changes do not leak into what was handed out', () => {
    const s = new NotificationScheduler([sub('a')]);
    s.ingest(ev('x', 'FIRING', T0), T0);
    const [g] = s.takeChanges().upserts;
    s.ingest(ev('z', 'FIRING', T0 + 1), T0 + 1);
    expect(Object.keys(g!.alerts)).toEqual(['x']);
  });
});
