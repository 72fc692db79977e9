import { type AlertEvent } from '../../platform/schemas/generated.js';
import {
  type CompiledMatcher,
  compileMatchers,
  isMatcherError,
  type LabelMatcher,
  matchesAll,
  type MatcherError as FieldError,
  parseMatcher,
} from '../../platform/labels/label-matchers.js';
import { SUBSCRIPTION_MATCHER_POLICY } from './subscription-matchers.js';

/**
 * A subscriber: which alerts it wants (filter), how they are batched and paced (route,
 * after Alertmanager's group_by / group_wait / group_interval / repeat_interval), and where
 * they go (a signed webhook, or a real Alertmanager's POST /api/v2/alerts).
 *
 * API input is JSON in camelCase; durations are milliseconds or strings like "30s".
 */
export const SEVERITY_ORDER = ['info', 'warning', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITY_ORDER)[number];

export function severityRank(s: string): number {
  return SEVERITY_ORDER.indexOf(s as Severity);
}

export type Receiver =
  | { readonly type: 'webhook'; readonly url: string; readonly secret: string }
  | { readonly type: 'alertmanager'; readonly url: string };

export interface SubscriptionFilter {
  /** Alerts at least this severe; null = all. */
  readonly minSeverity: Severity | null;
  /** Only these rules; empty = all. */
  readonly ruleIds: readonly string[];
  readonly matchers: readonly LabelMatcher[];
}

export interface RouteTiming {
  /** Labels that split alerts into notification groups; ["..."] = every label (one alert per group). */
  readonly groupBy: readonly string[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
}

export interface Subscription {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly receiver: Receiver;
  readonly filter: SubscriptionFilter;
  readonly route: RouteTiming;
  readonly sendResolved: boolean;
  /** Alerts per notification; the rest is counted in truncatedAlerts (0 = no limit). */
  readonly maxAlerts: number;
}

/** Alertmanager's defaults; the Alertmanager receiver re-posts often so AM's TTL never lapses. */
export const ROUTE_DEFAULTS: Readonly<Record<Receiver['type'], RouteTiming>> = {
  webhook: {
    groupBy: ['alertname'],
    groupWaitMs: 30_000,
    groupIntervalMs: 300_000,
    repeatIntervalMs: 4 * 3_600_000,
  },
  alertmanager: {
    groupBy: ['...'],
    groupWaitMs: 0,
    groupIntervalMs: 10_000,
    repeatIntervalMs: 300_000,
  },
};

export interface CompiledSubscription {
  readonly subscription: Subscription;
  readonly matchers: readonly CompiledMatcher[];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

function toMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v !== 'string' || !/^(\d+(ms|s|m|h|d))+$/.test(v)) return null;
  let total = 0;
  for (const m of v.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

/** Validates API input; collects every error with its field path. */
export function validateSubscription(
  input: unknown,
): { ok: true; value: CompiledSubscription } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const err = (field: string, code: string, message: string): void => {
    errors.push({ field, code, message });
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      errors: [
        { field: '', code: 'SUBSCRIPTION.TYPE', message: 'a subscription must be an object' },
      ],
    };
  }
  const raw = input as Record<string, unknown>;
  const id = raw['id'];
  if (typeof id !== 'string' || !ID_RE.test(id))
    err('id', 'SUBSCRIPTION.INVALID_ID', 'id must be 1-64 of A-Z a-z 0-9 _ . -');
  const name = typeof raw['name'] === 'string' ? raw['name'] : typeof id === 'string' ? id : '';
  const enabled = raw['enabled'] ?? true;
  if (typeof enabled !== 'boolean') err('enabled', 'SUBSCRIPTION.TYPE', 'must be true or false');

  let receiver: Receiver | null = null;
  const r = raw['receiver'];
  if (typeof r !== 'object' || r === null)
    err(
      'receiver',
      'SUBSCRIPTION.REQUIRED',
      'receiver is required: {type: webhook, url, secret} or {type: alertmanager, url}',
    );
  else {
    const rr = r as Record<string, unknown>;
    const url = rr['url'];
    if (typeof url !== 'string' || !URL.canParse(url))
      err('receiver.url', 'SUBSCRIPTION.INVALID_URL', 'url must be an absolute URL');
    if (rr['type'] === 'webhook') {
      const secret = rr['secret'];
      if (typeof secret !== 'string' || secret.length < 16)
        err('receiver.secret', 'SUBSCRIPTION.WEAK_SECRET', 'secret must be at least 16 characters');
      else if (typeof url === 'string') receiver = { type: 'webhook', url, secret };
    } else if (rr['type'] === 'alertmanager') {
      if (typeof url === 'string') receiver = { type: 'alertmanager', url };
    } else
      err('receiver.type', 'SUBSCRIPTION.INVALID_VALUE', 'type must be webhook or alertmanager');
  }

  const f = (raw['filter'] ?? {}) as Record<string, unknown>;
  const minSeverity = f['minSeverity'] ?? null;
  if (minSeverity !== null && (typeof minSeverity !== 'string' || severityRank(minSeverity) < 0))
    err(
      'filter.minSeverity',
      'SUBSCRIPTION.INVALID_VALUE',
      `must be one of ${SEVERITY_ORDER.join(', ')}`,
    );
  const ruleIds = f['ruleIds'] ?? [];
  if (!Array.isArray(ruleIds) || !ruleIds.every((x) => typeof x === 'string'))
    err('filter.ruleIds', 'SUBSCRIPTION.TYPE', 'must be a list of rule ids');
  const matchers: LabelMatcher[] = [];
  const ms = f['matchers'] ?? [];
  if (!Array.isArray(ms)) err('filter.matchers', 'SUBSCRIPTION.TYPE', 'must be a list of matchers');
  else {
    ms.forEach((m: unknown, i) => {
      if (typeof m === 'string') {
        const p = parseMatcher(m);
        if (isMatcherError(p)) err(`filter.matchers[${i}]`, p.code, p.message);
        else matchers.push(p);
      } else if (typeof m === 'object' && m !== null) {
        const o = m as Record<string, unknown>;
        matchers.push({
          name: typeof o['name'] === 'string' ? o['name'] : '',
          op: (typeof o['op'] === 'string' ? o['op'] : '=') as LabelMatcher['op'],
          value: typeof o['value'] === 'string' ? o['value'] : '',
        });
      } else
        err(
          `filter.matchers[${i}]`,
          'SUBSCRIPTION.TYPE',
          'a matcher is "name=value" or {name, op, value}',
        );
    });
  }
  const compiled = compileMatchers(matchers, SUBSCRIPTION_MATCHER_POLICY, 'filter.matchers');
  if (!compiled.ok) errors.push(...compiled.errors);

  const defaults = ROUTE_DEFAULTS[receiver?.type ?? 'webhook'];
  const route = (raw['route'] ?? {}) as Record<string, unknown>;
  const groupBy = route['groupBy'] ?? defaults.groupBy;
  if (
    !Array.isArray(groupBy) ||
    !groupBy.every((x) => typeof x === 'string' && (x === '...' || /^[A-Za-z_]\w*$/.test(x)))
  ) {
    err('route.groupBy', 'SUBSCRIPTION.INVALID_VALUE', 'must be a list of label names, or ["..."]');
  }
  const timing = (
    key: 'groupWaitMs' | 'groupIntervalMs' | 'repeatIntervalMs',
    min: number,
  ): number => {
    const v = route[key] ?? route[key.replace(/Ms$/, '')];
    if (v === undefined) return defaults[key];
    const ms = toMs(v);
    if (ms === null || ms < min || ms > 30 * 86_400_000) {
      err(
        `route.${key}`,
        'SUBSCRIPTION.INVALID_DURATION',
        `must be a duration (ms or "30s") from ${min} ms to 30 days`,
      );
      return defaults[key];
    }
    return ms;
  };
  const groupWaitMs = timing('groupWaitMs', 0);
  const groupIntervalMs = timing('groupIntervalMs', 1000);
  const repeatIntervalMs = timing('repeatIntervalMs', 1000);
  if (repeatIntervalMs < groupIntervalMs)
    err(
      'route.repeatIntervalMs',
      'SUBSCRIPTION.INVALID_VALUE',
      'repeat interval must not be shorter than group interval',
    );
  const sendResolved = raw['sendResolved'] ?? true;
  if (typeof sendResolved !== 'boolean')
    err('sendResolved', 'SUBSCRIPTION.TYPE', 'must be true or false');
  const maxAlerts = raw['maxAlerts'] ?? 0;
  if (
    typeof maxAlerts !== 'number' ||
    !Number.isInteger(maxAlerts) ||
    maxAlerts < 0 ||
    maxAlerts > 10_000
  ) {
    err('maxAlerts', 'SUBSCRIPTION.INVALID_VALUE', 'must be an integer from 0 (no limit) to 10000');
  }
  if (errors.length > 0 || !receiver || !compiled.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      subscription: {
        id: id as string,
        name,
        enabled: enabled as boolean,
        receiver,
        filter: {
          minSeverity: minSeverity as Severity | null,
          ruleIds: ruleIds as string[],
          matchers,
        },
        route: { groupBy: groupBy as string[], groupWaitMs, groupIntervalMs, repeatIntervalMs },
        sendResolved: sendResolved as boolean,
        maxAlerts: maxAlerts as number,
      },
      matchers: compiled.value,
    },
  };
}

/** Does this subscription want this alert event? */
export function subscriptionMatches(sub: CompiledSubscription, event: AlertEvent): boolean {
  const s = sub.subscription;
  if (!s.enabled) return false;
  const f = s.filter;
  if (f.minSeverity !== null && severityRank(event.severity) < severityRank(f.minSeverity))
    return false;
  if (f.ruleIds.length > 0 && !f.ruleIds.includes(event.ruleId)) return false;
  return matchesAll(sub.matchers, event.labels ?? {});
}
