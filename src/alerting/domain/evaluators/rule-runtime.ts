import { type MatchedLine } from '../../../platform/schemas/generated.js';
import {
  type AlertLifecycle,
  type AlertRecord,
  type GroupValues,
} from '../lifecycle/alert-lifecycle.js';
import { alertFingerprint } from '../lifecycle/ids.js';
import { type Captures } from '../matching/compiled-match.js';
import { type PreparedLine } from '../matching/prepared-line.js';
import { type FieldPath, readField } from '../rules/field-path.js';
import { type RuleSpec } from '../rules/rule.types.js';

/** What every evaluator can use. */
export interface EvalContext {
  readonly lifecycle: AlertLifecycle;
  /** Evidence form of a line (message cut to the evidence length). */
  readonly evidence: (p: PreparedLine) => MatchedLine;
  readonly evidenceLines: number;
}

/** Serialisable per-rule state; `type` and `revision` guard restores across rule changes. */
export interface RuntimeState {
  readonly type: string;
  readonly revision: string;
  readonly startedAt: number | null;
  readonly groups?: ReadonlyArray<readonly [string, unknown]>;
  readonly terms?: readonly string[];
}

/**
 * The per-rule evaluator: sees each matching line (onMatch) and the passage of time
 * (onTime), keeps bounded per-group state, and signals the lifecycle.
 */
export abstract class RuleRuntime {
  /** When the rule started observing (engine time); warm-ups count from here. */
  startedAt: number | null = null;
  private readonly fingerprints = new Map<string, string>();

  constructor(
    readonly spec: RuleSpec,
    readonly revision: string,
  ) {}

  abstract onMatch(
    ctx: EvalContext,
    p: PreparedLine,
    captures: Captures,
    at: number,
    now: number,
  ): void;

  onTime(_ctx: EvalContext, _now: number): void {}

  snapshot(): RuntimeState {
    return {
      type: this.spec.params.type,
      revision: this.revision,
      startedAt: this.startedAt,
      ...this.snapshotState(),
    };
  }

  restore(state: RuntimeState): void {
    this.startedAt = state.startedAt;
    this.restoreState(state);
  }

  protected snapshotState(): Partial<RuntimeState> {
    return {};
  }

  protected restoreState(_state: RuntimeState): void {}

  /** Group values of a line for this rule's group_by (missing values read as ""). */
  protected groupOf(
    p: PreparedLine,
    captures: Captures,
    fields: readonly FieldPath[] = this.spec.groupBy,
  ): GroupValues {
    if (fields.length === 0) return EMPTY_GROUP;
    return fields.map((f) => [f, readField(p.line, f, captures) ?? ''] as const);
  }

  /** Fingerprint with a bounded cache: hashing per matching line would dominate the cost. */
  protected fingerprint(group: GroupValues, key: string): string {
    let fp = this.fingerprints.get(key);
    if (fp === undefined) {
      if (this.fingerprints.size >= this.spec.maxGroups) this.fingerprints.clear();
      fp = alertFingerprint(this.spec.id, group);
      this.fingerprints.set(key, fp);
    }
    return fp;
  }
}

/** The firing alert for `fingerprint`, after resolving it if it was already due. */
export function firingAlert(
  ctx: EvalContext,
  fingerprint: string,
  now: number,
): AlertRecord | undefined {
  ctx.lifecycle.checkResolve(fingerprint, now);
  return ctx.lifecycle.get(fingerprint);
}

export const EMPTY_GROUP: GroupValues = Object.freeze([]);

export function groupMapKey(group: GroupValues): string {
  if (group.length === 0) return '';
  if (group.length === 1) return group[0]![1];
  return JSON.stringify(group.map((g) => g[1]));
}

/**
 * Groups in least-recently-updated order (a Map keeps insertion order; touching re-inserts),
 * bounded by the rule's max_groups: the stalest group is dropped first.
 */
export class GroupTable<T> {
  readonly map = new Map<string, T>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  touch(key: string, create: () => T): T {
    let g = this.map.get(key);
    if (g !== undefined) this.map.delete(key);
    else g = create();
    this.map.set(key, g);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
    return g;
  }

  peek(key: string): T | undefined {
    return this.map.get(key);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  entries(): Array<[string, T]> {
    return [...this.map.entries()];
  }

  load(entries: ReadonlyArray<readonly [string, unknown]> | undefined): void {
    this.map.clear();
    for (const [k, v] of entries ?? []) this.map.set(k, structuredClone(v) as T);
  }
}

/** Inserts `t` into ascending `times`, keeping only the newest `keep` entries. */
export function insertTime(times: number[], t: number, keep: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1]! > t) i--;
  times.splice(i, 0, t);
  if (times.length > keep) times.splice(0, times.length - keep);
}

/** Appends to a bounded evidence ring. */
export function pushRecent(recent: MatchedLine[], line: MatchedLine, keep: number): void {
  recent.push(line);
  if (recent.length > keep) recent.splice(0, recent.length - keep);
}
