import { createHash } from 'node:crypto';
import { type AlertEvent } from '../../platform/schemas/generated.js';
import { type CompiledSubscription, subscriptionMatches } from './subscription.js';

/**
 * Per-subscriber grouping and pacing after Alertmanager's aggregation groups, as a pure
 * scheduler over time (the caller supplies `now`; state is plain data).
 *
 * - Each matching alert event lands in a group keyed by (subscription, group_by labels).
 * - A new group is first flushed `group_wait` after it was created (to batch a burst).
 * - After that it is checked every `group_interval`: a notification goes out when a firing
 *   alert was not notified yet, or a notified alert resolved (send_resolved); otherwise,
 *   while something fires, the group is re-sent after `repeat_interval`.
 * - Resolved alerts leave the group after a flush; an empty group is deleted.
 * - Resolved alerts that were never notified as firing are dropped (nobody was told).
 * - Ingesting the same event twice is a no-op, and an older event never overwrites a newer
 *   one for the same alert, so redelivery from Kafka is harmless.
 * - Notification ids are derived from (subscription, group, its first event, sequence): the key
 *   a receiver sees is the same however often a delivery is retried or the state replayed.
 */
export interface Notification {
  /** Idempotency key of this notification (and of all its delivery attempts). */
  readonly id: string;
  readonly subscriptionId: string;
  readonly groupId: string;
  /** Alertmanager-style group key: `{}/{subscription="id"}:{label="value", ...}`. */
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly status: 'firing' | 'resolved';
  /** Firing alerts first, then resolved, each ordered by startsAt then fingerprint. */
  readonly alerts: readonly AlertEvent[];
  readonly createdAt: number;
  readonly seq: number;
}

export interface GroupState {
  readonly id: string;
  readonly subscriptionId: string;
  readonly groupKey: string;
  readonly groupLabels: Record<string, string>;
  /** Latest event per fingerprint. */
  alerts: Record<string, AlertEvent>;
  readonly createdAt: number;
  /** eventId of the event that created the group: keeps ids unique if a group is re-created. */
  readonly originEventId: string;
  nextFlushAt: number;
  lastSentAt: number | null;
  /** Fingerprint -> alertId of the episode last notified as firing. */
  notifiedFiring: Record<string, string>;
  seq: number;
}

export interface SchedulerState {
  readonly version: 1;
  readonly groups: readonly GroupState[];
}

/** Bound on groups per subscription and alerts per group (Put a limit on everything). */
export const SCHEDULER_LIMITS = { groupsPerSubscription: 10_000, alertsPerGroup: 5_000 } as const;

export interface IngestResult {
  /** Subscriptions the event was routed to. */
  readonly routedTo: readonly string[];
  /** Subscriptions that could not take it because of the limits above. */
  readonly dropped: readonly string[];
}

/** Groups changed since the last `takeChanges()`: what a caller persists incrementally. */
export interface SchedulerChanges {
  /** Groups created or modified (copies). */
  readonly upserts: GroupState[];
  /** Ids of groups deleted. */
  readonly deletes: string[];
}

export class NotificationScheduler {
  private readonly groups = new Map<string, GroupState>();
  private subs = new Map<string, CompiledSubscription>();
  private dirty = new Set<string>();

  constructor(subscriptions: readonly CompiledSubscription[], state?: SchedulerState) {
    this.setSubscriptions(subscriptions);
    for (const g of state?.groups ?? []) this.groups.set(g.id, structuredClone(g));
  }

  /** Replaces the subscriptions; groups of removed subscriptions are dropped. */
  setSubscriptions(subscriptions: readonly CompiledSubscription[]): void {
    this.subs = new Map(subscriptions.map((s) => [s.subscription.id, s]));
    for (const [id, g] of this.groups) {
      if (this.subs.has(g.subscriptionId)) continue;
      this.groups.delete(id);
      this.dirty.add(id);
    }
  }

  ingest(event: AlertEvent, now: number): IngestResult {
    const routedTo: string[] = [];
    const dropped: string[] = [];
    for (const sub of this.subs.values()) {
      if (!subscriptionMatches(sub, event)) continue;
      const s = sub.subscription;
      const groupLabels = pickGroupLabels(s.route.groupBy, event.labels ?? {});
      const id = groupIdOf(s.id, groupLabels);
      let g = this.groups.get(id);
      if (!g) {
        if (event.status === 'RESOLVED') continue; // nothing was notified for it here
        if (this.countGroups(s.id) >= SCHEDULER_LIMITS.groupsPerSubscription) {
          dropped.push(s.id);
          continue;
        }
        g = {
          id,
          subscriptionId: s.id,
          groupKey: formatGroupKey(s.id, groupLabels),
          groupLabels,
          alerts: {},
          createdAt: now,
          originEventId: event.eventId,
          nextFlushAt: now + s.route.groupWaitMs,
          lastSentAt: null,
          notifiedFiring: {},
          seq: 0,
        };
        this.groups.set(id, g);
        this.dirty.add(id);
      }
      const prev = g.alerts[event.fingerprint];
      if (prev && !isNewer(event, prev)) {
        routedTo.push(s.id);
        continue;
      }
      if (!prev && Object.keys(g.alerts).length >= SCHEDULER_LIMITS.alertsPerGroup) {
        dropped.push(s.id);
        continue;
      }
      g.alerts[event.fingerprint] = event;
      this.dirty.add(id);
      routedTo.push(s.id);
    }
    return { routedTo, dropped };
  }

  /** Earliest time a flush is due (null when there are no groups). */
  nextWakeAt(): number | null {
    let next: number | null = null;
    for (const g of this.groups.values())
      if (next === null || g.nextFlushAt < next) next = g.nextFlushAt;
    return next;
  }

  /** Flushes every group due at `now`; returns the notifications to deliver, in order. */
  due(now: number): Notification[] {
    const out: Notification[] = [];
    const due = [...this.groups.values()].filter((g) => g.nextFlushAt <= now);
    due.sort((a, b) => a.nextFlushAt - b.nextFlushAt || (a.id < b.id ? -1 : 1));
    for (const g of due) {
      const sub = this.subs.get(g.subscriptionId);
      this.dirty.add(g.id);
      if (!sub) {
        this.groups.delete(g.id);
        continue;
      }
      const n = this.flush(g, sub, now);
      if (n) out.push(n);
    }
    return out;
  }

  snapshot(): SchedulerState {
    return { version: 1, groups: [...this.groups.values()].map((g) => structuredClone(g)) };
  }

  /**
   * Groups created, changed or deleted since the previous call (or since construction), so
   * the caller can persist only those; applying every change in order to the state it was
   * constructed from yields `snapshot()`.
   */
  takeChanges(): SchedulerChanges {
    const upserts: GroupState[] = [];
    const deletes: string[] = [];
    for (const id of this.dirty) {
      const g = this.groups.get(id);
      if (g) upserts.push(structuredClone(g));
      else deletes.push(id);
    }
    this.dirty = new Set();
    return { upserts, deletes };
  }

  get groupCount(): number {
    return this.groups.size;
  }

  private countGroups(subscriptionId: string): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.subscriptionId === subscriptionId) n++;
    return n;
  }

  private flush(g: GroupState, sub: CompiledSubscription, now: number): Notification | null {
    const s = sub.subscription;
    const all = Object.values(g.alerts).sort(byStartThenFingerprint);
    const firing = all.filter((a) => a.status === 'FIRING');
    const resolvedNotified = all.filter(
      (a) => a.status === 'RESOLVED' && g.notifiedFiring[a.fingerprint] === a.alertId,
    );
    const newFiring = firing.some((a) => g.notifiedFiring[a.fingerprint] !== a.alertId);
    const resolvedToSend = s.sendResolved && resolvedNotified.length > 0;
    const repeatDue =
      firing.length > 0 && g.lastSentAt !== null && now - g.lastSentAt >= s.route.repeatIntervalMs;
    let notification: Notification | null = null;
    if (newFiring || resolvedToSend || repeatDue) {
      const alerts = s.sendResolved ? [...firing, ...resolvedNotified] : firing;
      notification = {
        id: notificationId(g.subscriptionId, g.id, g.originEventId, g.seq),
        subscriptionId: g.subscriptionId,
        groupId: g.id,
        groupKey: g.groupKey,
        groupLabels: { ...g.groupLabels },
        status: firing.length > 0 ? 'firing' : 'resolved',
        alerts,
        createdAt: now,
        seq: g.seq,
      };
      g.seq++;
      g.lastSentAt = now;
      for (const a of firing) g.notifiedFiring[a.fingerprint] = a.alertId;
    }
    // Resolved alerts leave the group once a flush has seen them.
    for (const a of all) {
      if (a.status === 'RESOLVED') {
        delete g.alerts[a.fingerprint];
        delete g.notifiedFiring[a.fingerprint];
      }
    }
    if (Object.keys(g.alerts).length === 0) this.groups.delete(g.id);
    else g.nextFlushAt = now + s.route.groupIntervalMs;
    return notification;
  }
}

function isNewer(a: AlertEvent, b: AlertEvent): boolean {
  if (a.eventId === b.eventId) return false;
  if (a.emittedAt !== b.emittedAt) return a.emittedAt > b.emittedAt;
  if (a.alertId === b.alertId && a.status !== b.status) return a.status === 'RESOLVED';
  return a.startsAt > b.startsAt || (a.startsAt === b.startsAt && a.matchCount > b.matchCount);
}

function byStartThenFingerprint(a: AlertEvent, b: AlertEvent): number {
  return (
    a.startsAt - b.startsAt ||
    (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)
  );
}

export function pickGroupLabels(
  groupBy: readonly string[],
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  const names = groupBy.includes('...') ? Object.keys(labels) : groupBy;
  const out: Record<string, string> = {};
  for (const n of [...names].sort()) {
    const v = labels[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function groupIdOf(subscriptionId: string, groupLabels: Readonly<Record<string, string>>): string {
  return createHash('sha256')
    .update(JSON.stringify([subscriptionId, groupLabels]))
    .digest('hex')
    .slice(0, 16);
}

function formatGroupKey(
  subscriptionId: string,
  groupLabels: Readonly<Record<string, string>>,
): string {
  const labels = Object.entries(groupLabels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `{}/{subscription=${JSON.stringify(subscriptionId)}}:{${labels}}`;
}

/** Name-based UUID (version 5 layout) of the notification's identity. */
export function notificationId(
  subscriptionId: string,
  groupId: string,
  originEventId: string,
  seq: number,
): string {
  const h = createHash('sha1')
    .update(
      JSON.stringify(['streamline-notification', subscriptionId, groupId, originEventId, seq]),
    )
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
