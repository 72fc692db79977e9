import { type AlertEvent, type MatchedLine } from '../../../platform/schemas/generated.js';
import { formatDuration } from '../rules/duration.js';
import { type FieldPath, labelNameFor } from '../rules/field-path.js';
import { type RuleSpec, type RuleType, type Severity } from '../rules/rule.types.js';
import { renderTemplate } from '../rules/template.js';
import { alertFingerprint, formatGroupKey, nameUuid } from './ids.js';
import { type CompiledSilence, silencedBy } from './silences.js';

/**
 * The alert state machine. Pure: it is driven by signals from the rule evaluators and by
 * the engine's clock, and produces AlertEvents (for the outbox) plus the changed alert
 * records (for the alerts table). All state is plain data (see snapshot/restore).
 *
 *   (none) --signal--> firing --condition clear for resolve_after--> resolved (record final)
 *   firing: further signals merge (count, last lines); a FIRING update is emitted at most
 *           every `realert` when there are new matches (never while acknowledged);
 *   silenced: a firing alert whose labels match an active silence emits nothing; when no
 *           silence matches any more, a held-back FIRING is emitted at once;
 *   RESOLVED is emitted only for alerts whose FIRING was emitted (subscribers never get a
 *           resolution for something they were not told about).
 */
export type GroupValues = ReadonlyArray<readonly [FieldPath, string]>;

export interface AlertRecord {
  readonly alertId: string;
  readonly fingerprint: string;
  readonly ruleId: string;
  ruleName: string;
  ruleType: RuleType;
  severity: Severity;
  readonly groupKey: string;
  readonly group: GroupValues;
  labels: Record<string, string>;
  status: 'firing' | 'resolved';
  readonly startsAt: number;
  endsAt: number | null;
  lastMatchAt: number | null;
  /** When the condition stops holding without further input; null while it holds. */
  clearsAt: number | null;
  matchCount: number;
  firstLines: MatchedLine[];
  lastLines: MatchedLine[];
  /** Type-specific facts for templates: terms, current_count, reference_count. */
  details: Record<string, string>;
  /** Events emitted for this alert (the next event's sequence number). */
  emitted: number;
  /** A FIRING event was emitted (so a RESOLVED will be). */
  notified: boolean;
  lastEmittedAt: number | null;
  lastEmittedCount: number;
  /** A FIRING was held back by a silence and is owed once the silence ends. */
  pendingNotify: boolean;
  silencedBy: string[];
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  ackComment: string | null;
  resolvedReason: string | null;
  updatedAt: number;
}

/** What an API shows: silenced and acknowledged are overlays on firing. */
export type AlertState = 'firing' | 'acknowledged' | 'silenced' | 'resolved';

export function alertState(a: AlertRecord): AlertState {
  if (a.status === 'resolved') return 'resolved';
  if (a.silencedBy.length > 0) return 'silenced';
  return a.acknowledgedBy !== null ? 'acknowledged' : 'firing';
}

export interface Signal {
  readonly rule: RuleSpec;
  readonly group: GroupValues;
  /** alertFingerprint(rule.id, group), when the caller has it cached. */
  readonly fingerprint?: string;
  /** Event time of the observation (line timestamp, or when a time condition began). */
  readonly at: number;
  /** Engine time. */
  readonly now: number;
  readonly lines: readonly MatchedLine[];
  /** Matches this signal adds to the alert's count. */
  readonly count: number;
  readonly clearsAt: number | null;
  /** Id of the line (or condition) that triggered it; part of a new alert's id. */
  readonly triggerId: string;
  readonly details?: Readonly<Record<string, string>>;
}

export interface LifecycleOptions {
  /** Lines kept at each end of an alert's evidence. */
  readonly evidenceLines: number;
}

export interface LifecycleOutput {
  readonly events: AlertEvent[];
  /** Alert records that changed (firing ones and the ones that just resolved). */
  readonly alerts: AlertRecord[];
}

export class AlertLifecycle {
  private readonly active = new Map<string, AlertRecord>();
  private rules = new Map<string, RuleSpec>();
  private silences: readonly CompiledSilence[] = [];
  private events: AlertEvent[] = [];
  /** Keyed by alertId: an alert that resolves and re-opens in one batch yields two records. */
  private changed = new Map<string, AlertRecord>();

  constructor(private readonly options: LifecycleOptions) {}

  setRules(rules: readonly RuleSpec[]): void {
    this.rules = new Map(rules.map((r) => [r.id, r]));
  }

  setSilences(silences: readonly CompiledSilence[]): void {
    this.silences = silences;
  }

  fingerprintOf(ruleId: string, group: GroupValues): string {
    return alertFingerprint(ruleId, group);
  }

  get(fingerprint: string): AlertRecord | undefined {
    return this.active.get(fingerprint);
  }

  isFiring(fingerprint: string): boolean {
    return this.active.has(fingerprint);
  }

  activeAlerts(): AlertRecord[] {
    return [...this.active.values()];
  }

  /** The condition holds (or a firing alert got another matching line). */
  signal(s: Signal): AlertRecord {
    const fp = s.fingerprint ?? alertFingerprint(s.rule.id, s.group);
    const existing = this.active.get(fp);
    if (existing) {
      this.merge(existing, s);
      this.maybeRealert(existing, s.now);
      return existing;
    }
    const k = this.options.evidenceLines;
    const rec: AlertRecord = {
      alertId: nameUuid('alert', fp, s.at, s.triggerId),
      fingerprint: fp,
      ruleId: s.rule.id,
      ruleName: s.rule.name,
      ruleType: s.rule.params.type,
      severity: s.rule.severity,
      groupKey: formatGroupKey(s.group),
      group: s.group,
      labels: buildLabels(s.rule, s.group),
      status: 'firing',
      startsAt: s.at,
      endsAt: null,
      lastMatchAt: s.count > 0 ? s.at : null,
      clearsAt: s.clearsAt,
      matchCount: s.count,
      firstLines: s.lines.slice(0, k),
      lastLines: s.lines.slice(-k),
      details: { ...(s.details ?? {}) },
      emitted: 0,
      notified: false,
      lastEmittedAt: null,
      lastEmittedCount: 0,
      pendingNotify: false,
      silencedBy: [],
      acknowledgedBy: null,
      acknowledgedAt: null,
      ackComment: null,
      resolvedReason: null,
      updatedAt: s.now,
    };
    this.active.set(fp, rec);
    this.emitFiring(rec, s.now);
    this.changed.set(rec.alertId, rec);
    return rec;
  }

  /** Updates when the condition of a firing alert stops holding (null: holds again). */
  setClearsAt(fingerprint: string, clearsAt: number | null, now: number): void {
    const rec = this.active.get(fingerprint);
    if (!rec || rec.clearsAt === clearsAt) return;
    rec.clearsAt = clearsAt;
    rec.updatedAt = now;
    this.changed.set(rec.alertId, rec);
  }

  setDetails(fingerprint: string, details: Readonly<Record<string, string>>, now: number): void {
    const rec = this.active.get(fingerprint);
    if (!rec) return;
    Object.assign(rec.details, details);
    rec.updatedAt = now;
    this.changed.set(rec.alertId, rec);
  }

  /** Resolves one alert now if its condition has been clear for the rule's resolve_after. */
  checkResolve(fingerprint: string, now: number): void {
    const rec = this.active.get(fingerprint);
    if (!rec || rec.clearsAt === null) return;
    const resolveAt = rec.clearsAt + (this.rules.get(rec.ruleId)?.resolveAfterMs ?? 0);
    if (now >= resolveAt) this.resolve(rec, resolveAt, now, null);
  }

  /** Time-driven transitions: resolution, owed re-alerts, silences starting or ending. */
  evaluate(now: number): void {
    for (const rec of [...this.active.values()]) {
      this.checkResolve(rec.fingerprint, now);
      if (rec.status !== 'firing') continue;
      const silenced = silencedBy(this.silences, rec.labels, now);
      if (!sameIds(silenced, rec.silencedBy)) {
        rec.silencedBy = silenced;
        rec.updatedAt = now;
        this.changed.set(rec.alertId, rec);
      }
      if (silenced.length > 0) {
        // Owed: whatever happens while muted, subscribers hear about it when the silence ends.
        if (!rec.pendingNotify) {
          rec.pendingNotify = true;
          this.changed.set(rec.alertId, rec);
        }
        continue;
      }
      if (rec.pendingNotify) this.emitFiring(rec, now);
      else this.maybeRealert(rec, now);
    }
  }

  /** Resolves every alert of a rule (removed or disabled), e.g. on reload. */
  resolveRule(ruleId: string, now: number, reason: string): void {
    for (const rec of [...this.active.values()]) {
      if (rec.ruleId === ruleId) this.resolve(rec, now, now, reason);
    }
  }

  /** Resolves one alert at `endsAt` (e.g. a flatline group that was forgotten). */
  forceResolve(fingerprint: string, endsAt: number, now: number, reason: string): void {
    const rec = this.active.get(fingerprint);
    if (rec) this.resolve(rec, endsAt, now, reason);
  }

  acknowledge(
    idOrFingerprint: string,
    by: string,
    comment: string | null,
    now: number,
  ): AlertRecord | null {
    const rec = this.find(idOrFingerprint);
    if (!rec) return null;
    rec.acknowledgedBy = by;
    rec.acknowledgedAt = now;
    rec.ackComment = comment;
    rec.updatedAt = now;
    this.changed.set(rec.alertId, rec);
    return rec;
  }

  unacknowledge(idOrFingerprint: string, now: number): AlertRecord | null {
    const rec = this.find(idOrFingerprint);
    if (!rec) return null;
    rec.acknowledgedBy = null;
    rec.acknowledgedAt = null;
    rec.ackComment = null;
    rec.updatedAt = now;
    this.changed.set(rec.alertId, rec);
    return rec;
  }

  /** Takes the events and changed records accumulated since the last drain. */
  drain(): LifecycleOutput {
    // Copies: the caller persists these while the live records keep changing.
    const out = {
      events: this.events,
      alerts: [...this.changed.values()].map((r) => structuredClone(r)),
    };
    this.events = [];
    this.changed = new Map();
    return out;
  }

  snapshot(): AlertRecord[] {
    return [...this.active.values()].map((r) => structuredClone(r));
  }

  restore(records: readonly AlertRecord[]): void {
    this.active.clear();
    for (const r of records)
      if (r.status === 'firing') this.active.set(r.fingerprint, structuredClone(r));
  }

  private find(idOrFingerprint: string): AlertRecord | undefined {
    const byFp = this.active.get(idOrFingerprint);
    if (byFp) return byFp;
    for (const r of this.active.values()) if (r.alertId === idOrFingerprint) return r;
    return undefined;
  }

  private merge(rec: AlertRecord, s: Signal): void {
    const k = this.options.evidenceLines;
    rec.matchCount += s.count;
    if (s.count > 0)
      rec.lastMatchAt = rec.lastMatchAt === null ? s.at : Math.max(rec.lastMatchAt, s.at);
    for (const line of s.lines) {
      if (rec.firstLines.length < k) rec.firstLines.push(line);
      rec.lastLines.push(line);
    }
    if (rec.lastLines.length > k) rec.lastLines.splice(0, rec.lastLines.length - k);
    rec.clearsAt = s.clearsAt;
    if (s.details) Object.assign(rec.details, s.details);
    rec.updatedAt = s.now;
    this.changed.set(rec.alertId, rec);
  }

  private maybeRealert(rec: AlertRecord, now: number): void {
    const rule = this.rules.get(rec.ruleId);
    if (!rule || rule.realertMs === 0 || rec.acknowledgedBy !== null || rec.pendingNotify) return;
    if (rec.matchCount <= rec.lastEmittedCount || rec.lastEmittedAt === null) return;
    if (now - rec.lastEmittedAt < rule.realertMs) return;
    this.emitFiring(rec, now);
  }

  private emitFiring(rec: AlertRecord, now: number): void {
    rec.silencedBy = silencedBy(this.silences, rec.labels, now);
    if (rec.silencedBy.length > 0) {
      rec.pendingNotify = true;
      this.changed.set(rec.alertId, rec);
      return;
    }
    rec.pendingNotify = false;
    rec.notified = true;
    this.emit(rec, 'FIRING', now);
  }

  private resolve(rec: AlertRecord, endsAt: number, now: number, reason: string | null): void {
    rec.status = 'resolved';
    rec.endsAt = Math.max(endsAt, rec.startsAt);
    rec.resolvedReason = reason;
    rec.pendingNotify = false;
    rec.updatedAt = now;
    this.active.delete(rec.fingerprint);
    if (rec.notified) this.emit(rec, 'RESOLVED', now);
    this.changed.set(rec.alertId, rec);
  }

  private emit(rec: AlertRecord, status: 'FIRING' | 'RESOLVED', now: number): void {
    const rule = this.rules.get(rec.ruleId);
    if (rule) {
      rec.ruleName = rule.name;
      rec.severity = rule.severity;
      rec.labels = buildLabels(rule, rec.group);
    }
    const seq = rec.emitted++;
    rec.lastEmittedAt = now;
    rec.lastEmittedCount = rec.matchCount;
    rec.updatedAt = now;
    this.changed.set(rec.alertId, rec);
    this.events.push({
      eventId: nameUuid('alert-event', rec.alertId, seq),
      alertId: rec.alertId,
      fingerprint: rec.fingerprint,
      ruleId: rec.ruleId,
      ruleName: rec.ruleName,
      ruleType: rec.ruleType,
      status,
      severity: rec.severity,
      groupKey: rec.groupKey,
      labels: { ...rec.labels },
      annotations: buildAnnotations(rule, rec),
      matchCount: rec.matchCount,
      firstLines: rec.firstLines.map((l) => ({ ...l })),
      lastLines: rec.lastLines.map((l) => ({ ...l })),
      startsAt: rec.startsAt,
      endsAt: status === 'RESOLVED' ? rec.endsAt : null,
      emittedAt: now,
    });
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** alertname (rule id), severity, rule labels, then one label per group field. */
export function buildLabels(rule: RuleSpec, group: GroupValues): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: rule.id,
    severity: rule.severity,
    ...rule.labels,
  };
  for (const [field, value] of group) labels[labelNameFor(field)] = value;
  return labels;
}

const DEFAULT_DESCRIPTIONS: Record<RuleType, string> = {
  pattern: '{{ count }} matching log line(s). Last: {{ last_line }}',
  frequency:
    '{{ count }} matching log lines (threshold {{ threshold }} within {{ timeframe }}). Last: {{ last_line }}',
  spike:
    'Matching lines changed from {{ reference_count }} to {{ current_count }} per {{ timeframe }}. Last: {{ last_line }}',
  flatline:
    'Fewer than {{ threshold }} matching line(s) in {{ timeframe }}. Last seen: {{ last_line }}',
  new_term: 'New value(s) never seen before: {{ terms }}. Last: {{ last_line }}',
};

function buildAnnotations(rule: RuleSpec | undefined, rec: AlertRecord): Record<string, string> {
  const values: Record<string, string> = {
    rule_id: rec.ruleId,
    rule_name: rec.ruleName,
    rule_type: rec.ruleType,
    severity: rec.severity,
    group_key: rec.groupKey,
    count: String(rec.matchCount),
    first_line: rec.firstLines[0]?.message ?? '',
    last_line: rec.lastLines[rec.lastLines.length - 1]?.message ?? '',
    ...rec.details,
  };
  if (rule) {
    const p = rule.params;
    if ('threshold' in p) values['threshold'] = String(p.threshold);
    if ('timeframeMs' in p) values['timeframe'] = formatDuration(p.timeframeMs);
  }
  for (const [k, v] of Object.entries(rec.labels)) values[`labels.${k}`] = v;
  for (const [field, value] of rec.group) values[field] = value;
  const summary = rule?.summary ?? `${rec.ruleName}${rec.groupKey ? ` (${rec.groupKey})` : ''}`;
  const description = rule?.description ?? DEFAULT_DESCRIPTIONS[rec.ruleType];
  return {
    ...(rule?.annotations ?? {}),
    summary: clip(renderTemplate(summary, values), 1024),
    description: clip(renderTemplate(description, values), 4096),
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
