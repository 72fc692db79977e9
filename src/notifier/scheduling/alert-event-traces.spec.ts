import { type AlertEvent } from '../../platform/schemas/generated.js';
import { type Notification } from '../domain/index.js';
import { AlertEventTraces } from './alert-event-traces.js';

const tp = (n: number): string => `00-${String(n).padStart(32, 'a')}-${'b'.repeat(16)}-01`;

function event(eventId: string, emittedAt: number): AlertEvent {
  return {
    eventId,
    alertId: `alert-${eventId}`,
    fingerprint: `fp-${eventId}`,
    ruleId: 'r',
    ruleName: 'r',
    ruleType: 'pattern',
    status: 'FIRING',
    severity: 'high',
    groupKey: '',
    labels: {},
    annotations: {},
    matchCount: 1,
    firstLines: [],
    lastLines: [],
    startsAt: emittedAt,
    endsAt: null,
    emittedAt,
  };
}

function notification(...alerts: AlertEvent[]): Notification {
  return {
    id: 'n',
    subscriptionId: 's',
    groupId: 'g',
    groupKey: '{}:{}',
    groupLabels: {},
    status: 'firing',
    alerts,
    createdAt: 0,
    seq: 0,
  };
}

describe('AlertEventTraces', () => {
  it('keeps only a valid traceparent and its tracestate, nothing else of the headers', () => {
    const t = new AlertEventTraces();
    t.remember('e1', { traceparent: tp(1), tracestate: 'v=1', 'event-id': 'e1' });
    t.remember('e2', { traceparent: 'not-a-traceparent' });
    t.remember('e3', {});
    expect(t.size).toBe(1);
    expect(t.of(notification(event('e1', 1)))).toEqual({ traceparent: tp(1), tracestate: 'v=1' });
    expect(t.of(notification(event('e2', 1), event('e3', 2)))).toBeUndefined();
  });

  it('continues the trace of the most recently emitted alert event it knows', () => {
    const t = new AlertEventTraces();
    t.remember('old', { traceparent: tp(1) });
    t.remember('new', { traceparent: tp(2) });
    const n = notification(event('old', 100), event('unknown', 300), event('new', 200));
    expect(t.of(n)).toEqual({ traceparent: tp(2) });
  });

  it('forgets the oldest events beyond its bound', () => {
    const t = new AlertEventTraces(2);
    t.remember('a', { traceparent: tp(1) });
    t.remember('b', { traceparent: tp(2) });
    t.remember('a', { traceparent: tp(1) }); // seen again: the newest now
    t.remember('c', { traceparent: tp(3) });
    expect(t.size).toBe(2);
    expect(t.of(notification(event('b', 1)))).toBeUndefined();
    expect(t.of(notification(event('a', 1)))).toEqual({ traceparent: tp(1) });
    expect(t.of(notification(event('c', 1)))).toEqual({ traceparent: tp(3) });
  });
});
