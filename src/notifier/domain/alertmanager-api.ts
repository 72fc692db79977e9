import { type AlertEvent } from '../../platform/schemas/generated.js';
import { formatLogLines, generatorUrl } from './webhook-payload.js';

/**
 * Mapping to Alertmanager's `POST /api/v2/alerts` body (PostableAlerts), for the built-in
 * receiver that forwards alerts to a real Alertmanager so its routing (email, Slack,
 * PagerDuty, inhibition, silences) applies.
 *
 * Alertmanager treats a firing alert as resolved once its endsAt passes, so firing alerts
 * are sent with endsAt = now + ttl and must be re-posted before that (the subscription's
 * repeat interval, 5 minutes by default, is well under the default 15-minute ttl). Resolved
 * alerts carry their real endsAt, which resolves them at once.
 */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

export interface PostableOptions {
  readonly now: number;
  readonly externalURL: string;
  readonly firingTtlMs?: number;
}

export const ALERTMANAGER_FIRING_TTL_MS = 15 * 60_000;
const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function toPostableAlert(event: AlertEvent, opts: PostableOptions): PostableAlert {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.labels ?? {})) {
    if (LABEL_NAME_RE.test(k) && v !== '') labels[k] = v;
  }
  labels['alertname'] ??= event.ruleId;
  const annotations: Record<string, string> = { ...(event.annotations ?? {}) };
  const lines = formatLogLines(event, 4000);
  if (lines !== '') annotations['log_lines'] = lines;
  annotations['match_count'] = String(event.matchCount);
  const ttl = opts.firingTtlMs ?? ALERTMANAGER_FIRING_TTL_MS;
  const endsAt = event.status === 'RESOLVED' ? (event.endsAt ?? opts.now) : opts.now + ttl;
  return {
    labels,
    annotations,
    startsAt: new Date(event.startsAt).toISOString(),
    endsAt: new Date(Math.max(endsAt, event.startsAt)).toISOString(),
    generatorURL: generatorUrl(opts.externalURL, event.alertId),
  };
}

export function toPostableAlerts(
  events: readonly AlertEvent[],
  opts: PostableOptions,
): PostableAlert[] {
  return events.map((e) => toPostableAlert(e, opts));
}
