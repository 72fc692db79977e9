import {
  type AlertEvent,
  type LogLine,
  type MatchedLine,
} from '../../platform/schemas/generated.js';
import { FlatlineRuntime } from './evaluators/flatline.runtime.js';
import { FrequencyRuntime } from './evaluators/frequency.runtime.js';
import { NewTermRuntime } from './evaluators/new-term.runtime.js';
import { PatternRuntime } from './evaluators/pattern.runtime.js';
import { type EvalContext, RuleRuntime, type RuntimeState } from './evaluators/rule-runtime.js';
import { SpikeRuntime } from './evaluators/spike.runtime.js';
import { AlertLifecycle, type AlertRecord } from './lifecycle/alert-lifecycle.js';
import { type CompiledSilence } from './lifecycle/silences.js';
import { type PrematchedChunk, prematchLines } from './matching/prematch.js';
import {
  MAX_LINE_LENGTH,
  type PreparedLine,
  prepareLine,
  truncateText,
} from './matching/prepared-line.js';
import { type CompiledRuleSet } from './rules/rule-loader.js';
import { type RuleSpec } from './rules/rule.types.js';

/**
 * The alerting engine: log lines in, alert events out. Pure and deterministic — no clock,
 * no I/O, no randomness — so the service can persist a snapshot with the consumed offsets
 * and replay to exactly the same events (event ids included).
 *
 * Time model. The engine has one clock, its watermark: the newest line timestamp or tick
 * time seen so far. Windows are measured on line timestamps; resolution, re-alerts,
 * flatlines and silences on the watermark. `tick(now)` advances it through quiet periods
 * (call it every second or so with the wall clock once the consumer has caught up, so a
 * backlog is not mistaken for silence). After the first tick, line timestamps more than
 * `maxFutureSkewMs` ahead of the last tick are clamped to it, so one bad clock cannot
 * fast-forward everything. Time-driven evaluation runs whenever the watermark crosses an
 * `evalIntervalMs` boundary, also while processing lines, so a replay without ticks gives
 * the same alerts as live operation.
 */
export interface EngineOptions {
  /** Messages are cut to this many UTF-16 code units before matching (flagged truncated). */
  readonly maxLineLength?: number;
  /** Lines kept at each end of an alert's evidence. */
  readonly evidenceLines?: number;
  /** Evidence messages are cut to this length (MatchedLine.truncated set). */
  readonly evidenceMessageMax?: number;
  readonly evalIntervalMs?: number;
  readonly maxFutureSkewMs?: number;
}

export const ENGINE_DEFAULTS = {
  maxLineLength: MAX_LINE_LENGTH,
  evidenceLines: 5,
  evidenceMessageMax: 512,
  evalIntervalMs: 1000,
  maxFutureSkewMs: 5 * 60_000,
} as const;

export interface EngineOutput {
  /** AlertEvents for the outbox (topic alerts.events, key = fingerprint), in order. */
  readonly events: AlertEvent[];
  /** Alert records to upsert (firing ones, and ones that resolved in this call). */
  readonly alerts: AlertRecord[];
}

export interface EngineStats {
  lines: number;
  /** Lines that matched at least one rule. */
  matchedLines: number;
  /** Rule hits (a line matching three rules counts three). */
  matches: number;
  truncated: number;
  clampedTimestamps: number;
  evaluations: number;
}

export interface EngineSnapshot {
  readonly version: 1;
  readonly watermark: number | null;
  readonly nextEvalAt: number | null;
  readonly lastTickAt: number | null;
  readonly rules: Readonly<Record<string, RuntimeState>>;
  readonly alerts: readonly AlertRecord[];
}

export class AlertEngine {
  private rules: CompiledRuleSet;
  private runtimes: RuleRuntime[] = [];
  private readonly lifecycle: AlertLifecycle;
  private readonly opts: Required<EngineOptions>;
  private readonly ctx: EvalContext;
  private watermarkAt: number | null = null;
  private nextEvalAt: number | null = null;
  private lastTickAt: number | null = null;
  /** Runtimes whose state may have changed since the last changedRuleStateJson(). */
  private readonly changed = new Set<RuleRuntime>();
  /** Every runtime has a start time (reset whenever runtimes are replaced or restored). */
  private allStarted = false;
  readonly stats: EngineStats = {
    lines: 0,
    matchedLines: 0,
    matches: 0,
    truncated: 0,
    clampedTimestamps: 0,
    evaluations: 0,
  };

  constructor(ruleSet: CompiledRuleSet, options: EngineOptions = {}, snapshot?: EngineSnapshot) {
    this.opts = { ...ENGINE_DEFAULTS, ...options };
    this.lifecycle = new AlertLifecycle({ evidenceLines: this.opts.evidenceLines });
    this.ctx = {
      lifecycle: this.lifecycle,
      evidence: (p) => this.evidence(p),
      evidenceLines: this.opts.evidenceLines,
    };
    this.rules = ruleSet;
    this.runtimes = ruleSet.enabled.map((r) => createRuntime(r.spec, r.revision));
    for (const r of this.runtimes) this.changed.add(r);
    this.lifecycle.setRules(ruleSet.enabled.map((r) => r.spec));
    if (snapshot) this.restore(snapshot);
  }

  get ruleSet(): CompiledRuleSet {
    return this.rules;
  }

  /** Engine time (null before the first line or tick). */
  get watermark(): number | null {
    return this.watermarkAt;
  }

  /** Matches a batch of lines, in order. Never throws on odd input. */
  process(lines: readonly LogLine[]): EngineOutput {
    return this.processPrematched(prematchLines(this.rules, lines, this.opts.maxLineLength));
  }

  /**
   * Applies a chunk whose matching already ran (`prematchLines`, possibly on another thread)
   * against this engine's current rule set: exactly what `process` does with the same lines.
   * Throws when the chunk was matched against another rule set revision (match it again).
   */
  processPrematched(chunk: PrematchedChunk): EngineOutput {
    if (chunk.revision !== this.rules.revision)
      throw new Error(
        `chunk matched against rule set ${chunk.revision}, engine runs ${this.rules.revision}`,
      );
    const { timestamps, matched } = chunk;
    this.stats.truncated += chunk.truncated;
    let next = 0;
    for (let i = 0; i < timestamps.length; i++) {
      this.stats.lines++;
      const ts = timestamps[i]!;
      let at = Number.isFinite(ts) ? ts : (this.watermarkAt ?? 0);
      if (this.lastTickAt !== null && at > this.lastTickAt + this.opts.maxFutureSkewMs) {
        at = this.lastTickAt + this.opts.maxFutureSkewMs;
        this.stats.clampedTimestamps++;
      }
      this.advance(at);
      const m = matched[next];
      if (m === undefined || m.index !== i) continue;
      next++;
      const now = this.watermarkAt!;
      const p = prepareLine(m.line, this.opts.maxLineLength);
      this.stats.matches += m.hits.length;
      this.stats.matchedLines++;
      for (const hit of m.hits) {
        const r = this.runtimes[hit.ruleIndex]!;
        r.onMatch(this.ctx, p, hit.captures, at, now);
        this.changed.add(r);
      }
    }
    return this.lifecycle.drain();
  }

  /** Advances engine time to `now` (if later) and runs time-driven evaluation. */
  tick(now: number): EngineOutput {
    this.lastTickAt = this.lastTickAt === null ? now : Math.max(this.lastTickAt, now);
    if (this.watermarkAt === null || now > this.watermarkAt) this.watermarkAt = now;
    this.startRuntimes();
    this.evaluate(this.watermarkAt);
    return this.lifecycle.drain();
  }

  /**
   * Swaps in a new compiled rule set. Evaluator state of unchanged rules is kept; alerts of
   * removed or disabled rules resolve now.
   */
  setRules(ruleSet: CompiledRuleSet): EngineOutput {
    const now = this.watermarkAt ?? 0;
    const enabledIds = new Set(ruleSet.enabled.map((r) => r.spec.id));
    for (const a of this.lifecycle.activeAlerts()) {
      if (!enabledIds.has(a.ruleId))
        this.lifecycle.resolveRule(a.ruleId, now, 'rule removed or disabled');
    }
    const old = new Map(this.runtimes.map((r) => [r.spec.id, r]));
    this.runtimes = ruleSet.enabled.map((r) => {
      const prev = old.get(r.spec.id);
      if (prev && prev.revision === r.revision) return prev;
      const fresh = createRuntime(r.spec, r.revision);
      fresh.startedAt = this.watermarkAt;
      this.changed.add(fresh);
      return fresh;
    });
    this.rules = ruleSet;
    this.allStarted = false;
    this.lifecycle.setRules(ruleSet.enabled.map((r) => r.spec));
    return this.lifecycle.drain();
  }

  /**
   * Replaces the silences (validated and compiled by silences.ts) and applies them at
   * `now`: alerts whose silence ended are notified at once.
   */
  setSilences(silences: readonly CompiledSilence[], now?: number): EngineOutput {
    this.lifecycle.setSilences(silences);
    if (now !== undefined && (this.watermarkAt === null || now > this.watermarkAt))
      this.watermarkAt = now;
    if (this.watermarkAt !== null) this.lifecycle.evaluate(this.watermarkAt);
    return this.lifecycle.drain();
  }

  /** Acknowledges a firing alert (by alert id or fingerprint); stops re-alert updates. */
  acknowledge(
    idOrFingerprint: string,
    by: string,
    comment: string | null,
    now: number,
  ): AlertRecord | null {
    const rec = this.lifecycle.acknowledge(idOrFingerprint, by, comment, now);
    this.lifecycle.drain();
    return rec ? structuredClone(rec) : null;
  }

  unacknowledge(idOrFingerprint: string, now: number): AlertRecord | null {
    const rec = this.lifecycle.unacknowledge(idOrFingerprint, now);
    this.lifecycle.drain();
    return rec ? structuredClone(rec) : null;
  }

  activeAlerts(): AlertRecord[] {
    return this.lifecycle.snapshot();
  }

  /**
   * Plain-data state; JSON-serialisable. Restore with `new AlertEngine(rules, opts, snap)`.
   * `alerts: false` leaves the active alert records out (empty list), for a caller that
   * persists every changed record anyway (the drained `alerts`) and reads the firing ones
   * back into the snapshot it restores from.
   */
  snapshot(options: { readonly alerts?: boolean } = {}): EngineSnapshot {
    const rules: Record<string, RuntimeState> = {};
    for (const r of this.runtimes) rules[r.spec.id] = structuredClone(r.snapshot());
    return {
      version: 1,
      watermark: this.watermarkAt,
      nextEvalAt: this.nextEvalAt,
      lastTickAt: this.lastTickAt,
      rules,
      alerts: options.alerts === false ? [] : this.lifecycle.snapshot(),
    };
  }

  /** Engine time: what a snapshot holds besides rule states and alerts. */
  timeState(): Pick<EngineSnapshot, 'watermark' | 'nextEvalAt' | 'lastTickAt'> {
    return {
      watermark: this.watermarkAt,
      nextEvalAt: this.nextEvalAt,
      lastTickAt: this.lastTickAt,
    };
  }

  /**
   * [rule id, JSON of its evaluator state] for the rules whose state may have changed since
   * the previous call (every rule on the first call): matched lines, time evaluation of
   * time-driven rules, start of observation, a new revision. For a caller that persists rule
   * states incrementally; `snapshot().rules` remains the complete set.
   */
  changedRuleStateJson(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const r of this.runtimes)
      if (this.changed.has(r)) out.push([r.spec.id, JSON.stringify(r.snapshot())]);
    this.changed.clear();
    return out;
  }

  private restore(s: EngineSnapshot): void {
    this.allStarted = false;
    this.watermarkAt = s.watermark;
    this.nextEvalAt = s.nextEvalAt;
    this.lastTickAt = s.lastTickAt;
    for (const r of this.runtimes) {
      const state = s.rules[r.spec.id];
      if (state && state.revision === r.revision && state.type === r.spec.params.type)
        r.restore(state);
      else r.startedAt = s.watermark;
    }
    const enabled = new Set(this.runtimes.map((r) => r.spec.id));
    this.lifecycle.restore(s.alerts);
    const now = this.watermarkAt ?? 0;
    for (const a of s.alerts) {
      if (!enabled.has(a.ruleId))
        this.lifecycle.resolveRule(a.ruleId, now, 'rule removed or disabled');
    }
  }

  private advance(at: number): void {
    if (this.watermarkAt === null || at > this.watermarkAt) this.watermarkAt = at;
    this.startRuntimes();
    const now = this.watermarkAt;
    if (this.nextEvalAt === null) this.nextEvalAt = this.nextBoundary(now);
    else if (now >= this.nextEvalAt) this.evaluate(now);
  }

  private startRuntimes(): void {
    // Runs per line: a flag keeps it from walking every rule once all have started.
    if (this.allStarted) return;
    let all = true;
    for (const r of this.runtimes)
      if (r.startedAt === null) {
        r.startedAt = this.watermarkAt;
        this.changed.add(r);
        if (r.startedAt === null) all = false;
      }
    this.allStarted = all;
  }

  private evaluate(now: number): void {
    this.stats.evaluations++;
    for (const r of this.runtimes) {
      r.onTime(this.ctx, now);
      if (r.onTime !== RuleRuntime.prototype.onTime) this.changed.add(r);
    }
    this.lifecycle.evaluate(now);
    this.nextEvalAt = this.nextBoundary(now);
  }

  private nextBoundary(now: number): number {
    const step = this.opts.evalIntervalMs;
    return (Math.floor(now / step) + 1) * step;
  }

  private evidence(p: PreparedLine): MatchedLine {
    const cut = truncateText(p.message, this.opts.evidenceMessageMax);
    return {
      eventId: p.line.eventId,
      timestamp: p.line.timestamp,
      source: p.line.source,
      host: p.line.host ?? null,
      level: p.line.level ?? null,
      message: cut.text,
      truncated: p.truncated || cut.truncated,
    };
  }
}

function createRuntime(spec: RuleSpec, revision: string): RuleRuntime {
  switch (spec.params.type) {
    case 'pattern':
      return new PatternRuntime(spec, revision);
    case 'frequency':
      return new FrequencyRuntime(spec, revision);
    case 'spike':
      return new SpikeRuntime(spec, revision);
    case 'flatline':
      return new FlatlineRuntime(spec, revision);
    case 'new_term':
      return new NewTermRuntime(spec, revision);
  }
}
