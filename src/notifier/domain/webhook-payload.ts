import { type AlertEvent, type MatchedLine } from '../../platform/schemas/generated.js';
import { type Notification } from './notification-scheduler.js';

/**
 * Alertmanager's webhook payload (version "4"), so receivers written for Alertmanager work
 * unchanged. Two additions, both ignored by such receivers:
 * - `annotations.log_lines`: the first and last matching lines as text, so templates that
 *   print annotations (Slack, email, PagerDuty details) show the evidence;
 * - `streamline` on each alert: ids, rule, match count and the matching lines as records.
 */
export interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
  readonly streamline: {
    readonly alertId: string;
    readonly eventId: string;
    readonly ruleId: string;
    readonly ruleName: string;
    readonly ruleType: string;
    readonly severity: string;
    readonly groupKey: string;
    readonly matchCount: number;
    readonly firstLines: readonly MatchedLine[];
    readonly lastLines: readonly MatchedLine[];
  };
}

export interface WebhookPayload {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
  readonly externalURL: string;
  readonly alerts: readonly WebhookAlert[];
}

export interface PayloadOptions {
  /** Receiver name (the subscription's name). */
  readonly receiver: string;
  /** Base URL of the Streamline UI/API, e.g. https://streamline.example.com */
  readonly externalURL: string;
  /** Alerts beyond this are left out and counted in truncatedAlerts (0 = no limit). */
  readonly maxAlerts?: number;
  /** Cap of the log_lines annotation, in characters. */
  readonly logLinesMax?: number;
}

/** Alertmanager's zero time, used as endsAt of firing alerts. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function generatorUrl(externalURL: string, alertId: string): string {
  return `${externalURL.replace(/\/+$/, '')}/alerts/${encodeURIComponent(alertId)}`;
}

export function formatLogLines(event: AlertEvent, max = 4000): string {
  const fmt = (l: MatchedLine): string =>
    `${new Date(l.timestamp).toISOString()} ${l.host ?? l.source} ${l.level ?? '-'} ${l.message}${l.truncated ? ' …' : ''}`;
  const first = event.firstLines ?? [];
  const last = (event.lastLines ?? []).filter((l) => !first.some((f) => f.eventId === l.eventId));
  const parts = first.map(fmt);
  if (last.length > 0) {
    const skipped = event.matchCount - first.length - last.length;
    if (skipped > 0) parts.push(`… ${skipped} more matching line(s) …`);
    parts.push(...last.map(fmt));
  }
  const text = parts.join('\n');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function toWebhookAlert(
  event: AlertEvent,
  externalURL: string,
  logLinesMax = 4000,
): WebhookAlert {
  const annotations: Record<string, string> = { ...(event.annotations ?? {}) };
  const lines = formatLogLines(event, logLinesMax);
  if (lines !== '') annotations['log_lines'] = lines;
  return {
    status: event.status === 'FIRING' ? 'firing' : 'resolved',
    labels: { ...(event.labels ?? {}) },
    annotations,
    startsAt: new Date(event.startsAt).toISOString(),
    endsAt:
      event.status === 'RESOLVED' && event.endsAt !== undefined && event.endsAt !== null
        ? new Date(event.endsAt).toISOString()
        : ZERO_TIME,
    generatorURL: generatorUrl(externalURL, event.alertId),
    fingerprint: event.fingerprint,
    streamline: {
      alertId: event.alertId,
      eventId: event.eventId,
      ruleId: event.ruleId,
      ruleName: event.ruleName,
      ruleType: event.ruleType,
      severity: event.severity,
      groupKey: event.groupKey,
      matchCount: event.matchCount,
      firstLines: event.firstLines ?? [],
      lastLines: event.lastLines ?? [],
    },
  };
}

export function buildWebhookPayload(n: Notification, opts: PayloadOptions): WebhookPayload {
  const limit = opts.maxAlerts ?? 0;
  const kept = limit > 0 ? n.alerts.slice(0, limit) : n.alerts;
  const alerts = kept.map((a) => toWebhookAlert(a, opts.externalURL, opts.logLinesMax));
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
    status: n.status,
    receiver: opts.receiver,
    groupLabels: { ...n.groupLabels },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: withoutKey(common(alerts.map((a) => a.annotations)), 'log_lines'),
    externalURL: opts.externalURL,
    alerts,
  };
}

function withoutKey(map: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _dropped, ...rest } = map;
  return rest;
}

/** Key/value pairs shared by every map (Alertmanager's commonLabels/commonAnnotations). */
function common(maps: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}
