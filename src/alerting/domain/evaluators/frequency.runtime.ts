import { type MatchedLine } from '../../../platform/schemas/generated.js';
import { type Captures } from '../matching/compiled-match.js';
import { type PreparedLine } from '../matching/prepared-line.js';
import { type RuleSpec } from '../rules/rule.types.js';
import {
  type EvalContext,
  firingAlert,
  GroupTable,
  groupMapKey,
  insertTime,
  pushRecent,
  RuleRuntime,
  type RuntimeState,
} from './rule-runtime.js';

interface FrequencyGroup {
  readonly fingerprint: string;
  /** Timestamps of the newest `threshold` matches, ascending. */
  readonly times: number[];
  readonly recent: MatchedLine[];
}

/**
 * `frequency`: at least `threshold` matches whose timestamps span at most `timeframe`, per
 * group. Only the newest `threshold` timestamps are kept: the condition holds at time t
 * exactly when the oldest of them is within the timeframe, so memory per group is bounded
 * by the threshold. The alert's count starts at the threshold and grows with each further
 * match; it resolves resolve_after after the window stops holding `threshold` matches.
 */
export class FrequencyRuntime extends RuleRuntime {
  private readonly groups: GroupTable<FrequencyGroup>;
  private readonly threshold: number;
  private readonly timeframeMs: number;

  constructor(spec: RuleSpec, revision: string) {
    super(spec, revision);
    if (spec.params.type !== 'frequency') throw new Error('not a frequency rule');
    this.threshold = spec.params.threshold;
    this.timeframeMs = spec.params.timeframeMs;
    this.groups = new GroupTable(spec.maxGroups);
  }

  onMatch(ctx: EvalContext, p: PreparedLine, captures: Captures, at: number, now: number): void {
    const group = this.groupOf(p, captures);
    const key = groupMapKey(group);
    const fingerprint = this.fingerprint(group, key);
    const g = this.groups.touch(key, () => ({ fingerprint, times: [], recent: [] }));
    const line = ctx.evidence(p);
    insertTime(g.times, at, this.threshold);
    pushRecent(g.recent, line, ctx.evidenceLines);
    const full = g.times.length === this.threshold;
    const clearsAt = full ? g.times[0]! + this.timeframeMs : at;
    const firing = firingAlert(ctx, fingerprint, now);
    if (firing) {
      ctx.lifecycle.signal({
        rule: this.spec,
        group,
        fingerprint,
        at,
        now,
        lines: [line],
        count: 1,
        clearsAt,
        triggerId: p.line.eventId,
      });
      return;
    }
    if (full && g.times[this.threshold - 1]! - g.times[0]! <= this.timeframeMs) {
      ctx.lifecycle.signal({
        rule: this.spec,
        group,
        fingerprint,
        at,
        now,
        lines: g.recent,
        count: this.threshold,
        clearsAt,
        triggerId: p.line.eventId,
      });
    }
  }

  /** Forgets groups whose newest match left the window (their state cannot matter). */
  override onTime(ctx: EvalContext, now: number): void {
    for (const [key, g] of this.groups.entries()) {
      const newest = g.times[g.times.length - 1];
      if (
        (newest === undefined || newest + this.timeframeMs < now) &&
        !ctx.lifecycle.isFiring(g.fingerprint)
      ) {
        this.groups.delete(key);
      }
    }
  }

  protected override snapshotState(): Partial<RuntimeState> {
    return { groups: this.groups.entries() };
  }

  protected override restoreState(state: RuntimeState): void {
    this.groups.load(state.groups);
  }
}
