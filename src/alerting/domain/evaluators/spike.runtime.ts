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
  pushRecent,
  RuleRuntime,
  type RuntimeState,
} from './rule-runtime.js';

/** Buckets per window: counts are kept per timeframe/10, so memory is 20 numbers a group. */
export const SPIKE_BUCKETS = 10;

interface SpikeGroup {
  readonly fingerprint: string;
  readonly group: GroupValues;
  /** 2 × SPIKE_BUCKETS + 1 counts; the last one is bucket `newest` (still filling). */
  counts: number[];
  newest: number;
  readonly recent: MatchedLine[];
}

type SpikeParams = Extract<RuleParams, { type: 'spike' }>;

/**
 * `spike`: the count of matches in the current window (the last `timeframe`) against the
 * window before it. Windows are made of complete buckets of timeframe/10 and judged when a
 * bucket completes (so detection lags by at most one bucket, and the half-filled bucket
 * never makes a steady rate look like a drop). Up: current ≥ min_count and
 * ≥ ratio × reference (a reference of 0 counts as any rise); down: reference ≥ min_count
 * and current ≤ reference / ratio. Both need reference ≥ min_ref_count. Nothing is judged
 * before the rule has observed two full windows (warm-up), so a restart does not look
 * like a drop or a surge.
 */
export class SpikeRuntime extends RuleRuntime {
  private readonly groups: GroupTable<SpikeGroup>;
  private readonly p: SpikeParams;
  private readonly bucketMs: number;

  constructor(spec: RuleSpec, revision: string) {
    super(spec, revision);
    if (spec.params.type !== 'spike') throw new Error('not a spike rule');
    this.p = spec.params;
    this.bucketMs = Math.ceil(spec.params.timeframeMs / SPIKE_BUCKETS);
    this.groups = new GroupTable(spec.maxGroups);
  }

  onMatch(ctx: EvalContext, p: PreparedLine, captures: Captures, at: number, now: number): void {
    const group = this.groupOf(p, captures);
    const key = groupMapKey(group);
    const fingerprint = this.fingerprint(group, key);
    const g = this.groups.touch(key, () => ({
      fingerprint,
      group,
      counts: new Array<number>(2 * SPIKE_BUCKETS + 1).fill(0),
      newest: Math.floor(at / this.bucketMs),
      recent: [],
    }));
    const line = ctx.evidence(p);
    this.add(g, at);
    pushRecent(g.recent, line, ctx.evidenceLines);
    // Judgement happens on bucket boundaries (onTime); a firing alert counts its lines.
    const firing = firingAlert(ctx, fingerprint, now);
    if (firing) this.signal(ctx, g, p.line.eventId, at, now, [line], 1, firing.clearsAt);
  }

  override onTime(ctx: EvalContext, now: number): void {
    const warm = this.warmedUp(now);
    const boundary = Math.floor(now / this.bucketMs) * this.bucketMs;
    for (const [key, g] of this.groups.entries()) {
      const { cur, ref, holds } = this.evaluate(g, now);
      const firing = ctx.lifecycle.get(g.fingerprint);
      const details = { current_count: String(cur), reference_count: String(ref) };
      if (firing) {
        ctx.lifecycle.setDetails(g.fingerprint, details, now);
        ctx.lifecycle.setClearsAt(g.fingerprint, holds ? null : (firing.clearsAt ?? boundary), now);
      } else if (holds && warm) {
        this.signal(ctx, g, `spike:${boundary}`, boundary, now, g.recent, cur, null, details);
      } else if (cur + ref + g.counts[2 * SPIKE_BUCKETS]! === 0) {
        this.groups.delete(key);
      }
    }
  }

  private signal(
    ctx: EvalContext,
    g: SpikeGroup,
    triggerId: string,
    at: number,
    now: number,
    lines: readonly MatchedLine[],
    count: number,
    clearsAt: number | null,
    details?: Record<string, string>,
  ): void {
    ctx.lifecycle.signal({
      rule: this.spec,
      group: g.group,
      fingerprint: g.fingerprint,
      at,
      now,
      lines,
      count,
      clearsAt,
      triggerId,
      details,
    });
  }

  private warmedUp(now: number): boolean {
    return this.startedAt !== null && now >= this.startedAt + 2 * this.p.timeframeMs;
  }

  private shift(g: SpikeGroup, index: number): void {
    const d = index - g.newest;
    if (d <= 0) return;
    const n = g.counts.length;
    g.counts =
      d >= n
        ? new Array<number>(n).fill(0)
        : [...g.counts.slice(d), ...new Array<number>(d).fill(0)];
    g.newest = index;
  }

  private add(g: SpikeGroup, at: number): void {
    const index = Math.floor(at / this.bucketMs);
    this.shift(g, index);
    const pos = g.counts.length - 1 - (g.newest - index);
    if (pos >= 0) g.counts[pos]!++;
  }

  private evaluate(g: SpikeGroup, now: number): { cur: number; ref: number; holds: boolean } {
    // Complete buckets only: [0, W) is the reference window, [W, 2W) the current one, and
    // slot 2W the bucket still filling (judging it would make every boundary look like a drop).
    this.shift(g, Math.floor(now / this.bucketMs));
    let ref = 0;
    let cur = 0;
    for (let i = 0; i < SPIKE_BUCKETS; i++) ref += g.counts[i]!;
    for (let i = SPIKE_BUCKETS; i < 2 * SPIKE_BUCKETS; i++) cur += g.counts[i]!;
    const { ratio, direction, minCount, minRefCount } = this.p;
    const up = cur >= minCount && ref >= minRefCount && cur > ref && cur >= ratio * ref;
    const down = ref >= minCount && ref >= minRefCount && cur < ref && cur * ratio <= ref;
    const holds = direction === 'up' ? up : direction === 'down' ? down : up || down;
    return { cur, ref, holds };
  }

  protected override snapshotState(): Partial<RuntimeState> {
    return { groups: this.groups.entries() };
  }

  protected override restoreState(state: RuntimeState): void {
    this.groups.load(state.groups);
  }
}
