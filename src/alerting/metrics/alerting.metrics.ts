import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { alertState, type AlertRecord, type AlertState } from '../domain/index.js';

/**
 * The alerting service's metrics. Labels are bounded: rule ids come from the rule set (at most
 * RULE_LIMITS.rules), severities and states are enums.
 */
export class AlertingMetrics {
  readonly alerts: Counter<'rule' | 'severity' | 'state'>;
  readonly lines: Counter<'outcome'>;
  readonly active: Gauge<'severity'>;
  readonly ruleSetVersion: Gauge;
  readonly reloads: Counter<'source' | 'outcome'>;
  readonly commitDuration: Histogram;
  readonly commitBatches: Histogram;
  readonly watermark: Gauge;
  readonly caughtUp: Gauge;
  readonly ticks: Counter;
  /** Last known state of each active alert (alertId), to count transitions once. */
  private readonly states = new Map<string, { state: AlertState; severity: string }>();

  constructor(registry: Registry) {
    this.alerts = new Counter({
      name: 'streamline_alerts_total',
      help: 'Alert state transitions (an alert entering firing, acknowledged, silenced or resolved), by rule and severity.',
      labelNames: ['rule', 'severity', 'state'],
      registers: [registry],
    });
    this.lines = new Counter({
      name: 'streamline_alerting_lines_total',
      help: 'Log lines evaluated: matched (at least one rule) or unmatched; truncated counts the over-long ones among them.',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.active = new Gauge({
      name: 'streamline_alerting_active_alerts',
      help: 'Alerts currently firing (including acknowledged and silenced), by severity.',
      labelNames: ['severity'],
      registers: [registry],
    });
    this.ruleSetVersion = new Gauge({
      name: 'streamline_alerting_rule_set_version',
      help: 'Version of the rule set the engine runs.',
      registers: [registry],
    });
    this.reloads = new Counter({
      name: 'streamline_alerting_rule_reloads_total',
      help: 'Rule set changes offered, by source (file, api) and outcome (applied, rejected, unchanged).',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    });
    this.commitDuration = new Histogram({
      name: 'streamline_alerting_commit_duration_seconds',
      help: 'Time of one engine commit transaction (alerts, outbox rows and engine state).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.commitBatches = new Histogram({
      name: 'streamline_alerting_commit_mutations',
      help: 'Engine calls (line chunks, ticks, API changes) grouped into one commit.',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32],
      registers: [registry],
    });
    this.watermark = new Gauge({
      name: 'streamline_alerting_engine_watermark_seconds',
      help: 'Engine time (newest line timestamp or tick), Unix seconds.',
      registers: [registry],
    });
    this.caughtUp = new Gauge({
      name: 'streamline_alerting_caught_up',
      help: '1 when the consumer has caught up with logs.lines (wall-clock ticks run), else 0.',
      registers: [registry],
    });
    this.ticks = new Counter({
      name: 'streamline_alerting_ticks_total',
      help: 'Wall-clock ticks applied to the engine (only while caught up).',
      registers: [registry],
    });
    for (const s of ['critical', 'high', 'warning', 'info']) this.active.set({ severity: s }, 0);
    for (const outcome of ['matched', 'unmatched', 'truncated']) this.lines.inc({ outcome }, 0);
  }

  /** Forgets the per-alert states and seeds them with the firing records (after a restore). */
  reset(firing: readonly AlertRecord[]): void {
    this.states.clear();
    for (const r of firing)
      this.states.set(r.alertId, { state: alertState(r), severity: r.severity });
    this.refreshActive();
  }

  /** Counts transitions of committed alert records. */
  observeAlerts(records: readonly AlertRecord[]): void {
    if (records.length === 0) return;
    for (const r of records) {
      const state = alertState(r);
      const prev = this.states.get(r.alertId);
      if (prev?.state !== state) this.alerts.inc({ rule: r.ruleId, severity: r.severity, state });
      if (state === 'resolved') this.states.delete(r.alertId);
      else this.states.set(r.alertId, { state, severity: r.severity });
    }
    this.refreshActive();
  }

  private refreshActive(): void {
    const counts: Record<string, number> = { critical: 0, high: 0, warning: 0, info: 0 };
    for (const s of this.states.values()) counts[s.severity] = (counts[s.severity] ?? 0) + 1;
    for (const [severity, n] of Object.entries(counts)) this.active.set({ severity }, n);
  }
}
