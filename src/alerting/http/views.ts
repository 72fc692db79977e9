import { formatMatcher } from '../../platform/labels/label-matchers.js';
import { type AlertRecord, type AlertState } from '../domain/index.js';
import { type SilenceRow } from '../persistence/alerting.store.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** An alert as the API shows it: times as ISO 8601, acknowledged/silenced as overlays. */
export function alertView(state: AlertState, r: AlertRecord): Record<string, unknown> {
  return {
    alertId: r.alertId,
    fingerprint: r.fingerprint,
    ruleId: r.ruleId,
    ruleName: r.ruleName,
    ruleType: r.ruleType,
    severity: r.severity,
    state,
    status: r.status,
    groupKey: r.groupKey,
    labels: r.labels,
    startsAt: iso(r.startsAt),
    endsAt: iso(r.endsAt),
    lastMatchAt: iso(r.lastMatchAt),
    matchCount: r.matchCount,
    firstLines: r.firstLines,
    lastLines: r.lastLines,
    details: r.details,
    silencedBy: r.silencedBy,
    acknowledged:
      r.acknowledgedBy === null
        ? null
        : { by: r.acknowledgedBy, at: iso(r.acknowledgedAt), comment: r.ackComment },
    notified: r.notified,
    resolvedReason: r.resolvedReason,
    updatedAt: iso(r.updatedAt),
  };
}

export function silenceView(s: SilenceRow, now: number): Record<string, unknown> {
  return {
    id: s.id,
    matchers: s.matchers,
    matchersText: s.matchers.map(formatMatcher),
    startsAt: iso(s.startsAt),
    endsAt: iso(s.endsAt),
    state: now < s.startsAt ? 'pending' : now < s.endsAt ? 'active' : 'expired',
    createdBy: s.createdBy,
    comment: s.comment,
    createdAt: iso(s.createdAt),
    expiredBy: s.expiredBy,
  };
}

export function encodeCursor(startsAt: number, alertId: string): string {
  return Buffer.from(`${startsAt}|${alertId}`).toString('base64url');
}

export function decodeCursor(c: string): { startsAt: number; alertId: string } | null {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (!at || !id || !/^\d+$/.test(at) || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  return { startsAt: Number(at), alertId: id };
}
