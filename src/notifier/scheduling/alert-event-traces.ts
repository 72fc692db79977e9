import { parseTraceparent, TRACEPARENT, TRACESTATE } from '../../platform/observability/tracing.js';
import { type Notification } from '../domain/index.js';

export type TraceHeaders = Readonly<Record<string, string>>;

/** Alert events whose trace context is remembered (about 200 bytes each). */
export const TRACE_MEMORY_MAX = 10_000;

/**
 * The W3C trace context of alert events between their arrival and the notification that carries
 * them (group_wait, group_interval): by event id, in memory, the newest `max` events. Notifications
 * are made from the scheduler's state, which holds the events but not their Kafka headers; an
 * event whose context was evicted or not seen by this process (a restart) makes a notification
 * without it. Once a notification is queued its context is stored with it.
 */
export class AlertEventTraces {
  private readonly byEventId = new Map<string, TraceHeaders>();

  constructor(private readonly max = TRACE_MEMORY_MAX) {}

  get size(): number {
    return this.byEventId.size;
  }

  /** Keeps the event's `traceparent` (+ `tracestate`) when its headers carry a valid one. */
  remember(eventId: string, headers: Readonly<Record<string, string>>): void {
    const parent = headers[TRACEPARENT];
    if (parent === undefined || !parseTraceparent(parent)) return;
    const state = headers[TRACESTATE];
    this.byEventId.delete(eventId);
    this.byEventId.set(
      eventId,
      state ? { [TRACEPARENT]: parent, [TRACESTATE]: state } : { [TRACEPARENT]: parent },
    );
    if (this.byEventId.size > this.max) {
      const oldest = this.byEventId.keys().next();
      if (!oldest.done) this.byEventId.delete(oldest.value);
    }
  }

  /**
   * The trace a notification continues: that of its most recently emitted alert event whose
   * context is known (the change that made the group notify). A W3C `traceparent` has one parent,
   * so a notification of several alerts continues one of their traces.
   */
  of(n: Notification): TraceHeaders | undefined {
    let newest = -Infinity;
    let found: TraceHeaders | undefined;
    for (const a of n.alerts) {
      const headers = this.byEventId.get(a.eventId);
      if (headers && a.emittedAt >= newest) {
        newest = a.emittedAt;
        found = headers;
      }
    }
    return found;
  }
}
