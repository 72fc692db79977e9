import { type MatchedLine } from '../../../platform/schemas/generated.js';
import { type GroupValues } from '../lifecycle/alert-lifecycle.js';
import { type Captures } from '../matching/compiled-match.js';
import { type PreparedLine } from '../matching/prepared-line.js';
import { type RuleParams, type RuleSpec } from '../rules/rule.types.js';
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

interface FlatlineGroup {
  readonly fingerprint: string;
  readonly group: GroupValues;
  /** Newest `threshold` match timestamps, ascending. */
  readonly times: number[];
  readonly firstSeenAt: number;
  lastSeenAt: number;
  /** The last lines seen: the evidence of a flatline is what came before the silence. */
  readonly recent: MatchedLine[];
}

type FlatlineParams = Extract<RuleParams, { type: 'flatline' }>;

/**
 * `flatline`: a group (say a source or a host) that has been seen goes quiet: fewer than
 * `threshold` matches within the last `timeframe`. It becomes quiet exactly at
 * (threshold-th newest match + timeframe), so the alert's startsAt is that instant whether
 * the engine notices it on a tick or when the next line arrives (then the alert fires and
 * resolves together: the gap is still reported). It resolves when matches are back
 * (after resolve_after). Groups never seen are unknown; groups quiet for forget_after are
 * dropped and their alert resolved (a decommissioned host should not page forever).
 */
export class FlatlineRuntime extends RuleRuntime {
  private readonly groups: GroupTable<FlatlineGroup>;
  private readonly p: FlatlineParams;

  constructor(spec: RuleSpec, revision: string) {
    super(spec, revision);
    if (spec.params.type !== 'flatline') throw new Error('not a flatline rule');
    this.p = spec.params;
    this.groups = new GroupTable(spec.maxGroups);
  }

  private quietAt(g: FlatlineGroup): number {
    const base = g.times.length < this.p.threshold ? g.firstSeenAt : g.times[0]!;
    return base + this.p.timeframeMs;
  }

  onMatch(ctx: EvalContext, p: PreparedLine, captures: Captures, at: number, now: number): void {
    const group = this.groupOf(p, captures);
    const key = groupMapKey(group);
    const fingerprint = this.fingerprint(group, key);
    const existing = this.groups.peek(key);
    if (existing && !firingAlert(ctx, fingerprint, now)) {
      const quietAt = this.quietAt(existing);
      if (at >= quietAt) this.fire(ctx, existing, quietAt, now);
    }
    const g = this.groups.touch(key, () => ({
      fingerprint,
      group,
      times: [],
      firstSeenAt: at,
      lastSeenAt: at,
      recent: [],
    }));
    insertTime(g.times, at, this.p.threshold);
    g.lastSeenAt = Math.max(g.lastSeenAt, at);
    pushRecent(g.recent, ctx.evidence(p), ctx.evidenceLines);
    if (ctx.lifecycle.isFiring(fingerprint) && this.quietAt(g) > at) {
      ctx.lifecycle.setClearsAt(fingerprint, at, now);
      ctx.lifecycle.checkResolve(fingerprint, now);
    }
  }

  override onTime(ctx: EvalContext, now: number): void {
    for (const [key, g] of this.groups.entries()) {
      const firing = ctx.lifecycle.isFiring(g.fingerprint);
      if (this.p.forgetAfterMs !== null && now - g.lastSeenAt >= this.p.forgetAfterMs) {
        if (firing)
          ctx.lifecycle.forceResolve(
            g.fingerprint,
            g.lastSeenAt + this.p.forgetAfterMs,
            now,
            'group forgotten after forget_after',
          );
        this.groups.delete(key);
        continue;
      }
      const quietAt = this.quietAt(g);
      if (!firing && now >= quietAt) this.fire(ctx, g, quietAt, now);
    }
  }

  private fire(ctx: EvalContext, g: FlatlineGroup, quietAt: number, now: number): void {
    ctx.lifecycle.signal({
      rule: this.spec,
      group: g.group,
      fingerprint: g.fingerprint,
      at: quietAt,
      now,
      lines: g.recent,
      count: 0,
      clearsAt: null,
      triggerId: `flatline:${quietAt}`,
    });
  }

  protected override snapshotState(): Partial<RuntimeState> {
    return { groups: this.groups.entries() };
  }

  protected override restoreState(state: RuntimeState): void {
    this.groups.load(state.groups);
  }
}
