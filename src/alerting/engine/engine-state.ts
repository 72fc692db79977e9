import { type AlertEngine, type AlertRecord, type EngineSnapshot } from '../domain/index.js';

/**
 * How the engine's state is laid out in PostgreSQL, as pure functions (unit-tested):
 *
 * - `meta`: engine clock (watermark, next evaluation, last tick) and, per partition of
 *   logs.lines, the last offset whose effects are in this state;
 * - one row per rule with its evaluator state (windows, groups, terms), rewritten only when
 *   it changed;
 * - the firing alerts are NOT duplicated here: every changed alert record is upserted into
 *   the alerts table in the same transaction, so the firing rows of that table are exactly
 *   the engine's active alerts.
 *
 * Restoring assembles an EngineSnapshot from the three; the engine is deterministic, so it
 * resumes exactly where the last committed transaction left it.
 */
export type RuleState = EngineSnapshot['rules'][string];

export interface EngineMeta {
  readonly version: 1;
  readonly watermark: number | null;
  readonly nextEvalAt: number | null;
  readonly lastTickAt: number | null;
  /** Partition → offset of the last message applied (decimal string). */
  readonly offsets: Readonly<Record<string, string>>;
}

export interface StateWrite {
  readonly meta: EngineMeta;
  /** [ruleId, JSON of its state] for rules whose state changed since the last write. */
  readonly ruleUpserts: ReadonlyArray<readonly [string, string]>;
  /** Rules whose state row must go (rule removed or disabled). */
  readonly ruleDeletes: readonly string[];
}

export const EMPTY_META: EngineMeta = {
  version: 1,
  watermark: null,
  nextEvalAt: null,
  lastTickAt: null,
  offsets: {},
};

/** Remembers what was last written per rule, so each commit writes only what changed. */
export class EngineStateTracker {
  private written: Map<string, string>;

  constructor(persisted: ReadonlyMap<string, string> = new Map()) {
    this.written = new Map(persisted);
  }

  /**
   * The rows to write for the engine's current state. Optimistic: the tracker assumes the
   * write commits (after a failed commit the caller rebuilds engine and tracker from the DB).
   */
  capture(engine: AlertEngine, offsets: ReadonlyMap<number, string>): StateWrite {
    const ruleUpserts: Array<[string, string]> = [];
    for (const [id, json] of engine.changedRuleStateJson()) {
      if (this.written.get(id) !== json) {
        ruleUpserts.push([id, json]);
        this.written.set(id, json);
      }
    }
    const current = new Set(engine.ruleSet.enabled.map((r) => r.spec.id));
    const ruleDeletes = [...this.written.keys()].filter((id) => !current.has(id));
    for (const id of ruleDeletes) this.written.delete(id);
    const off: Record<string, string> = {};
    for (const [p, o] of [...offsets.entries()].sort((a, b) => a[0] - b[0])) off[String(p)] = o;
    return { meta: { version: 1, ...engine.timeState(), offsets: off }, ruleUpserts, ruleDeletes };
  }
}

/** The snapshot to construct an engine from, out of the persisted parts. */
export function assembleSnapshot(
  meta: EngineMeta,
  ruleStates: ReadonlyMap<string, string>,
  firing: readonly AlertRecord[],
): EngineSnapshot {
  const rules: Record<string, RuleState> = {};
  for (const [id, json] of ruleStates) rules[id] = JSON.parse(json) as RuleState;
  return {
    version: 1,
    watermark: meta.watermark,
    nextEvalAt: meta.nextEvalAt,
    lastTickAt: meta.lastTickAt,
    rules,
    alerts: firing.filter((a) => a.status === 'firing'),
  };
}

/** Offsets as the in-memory map the consumer handler filters replays with. */
export function offsetsOf(meta: EngineMeta): Map<number, string> {
  return new Map(Object.entries(meta.offsets).map(([p, o]) => [Number(p), o]));
}

/**
 * Merges alert records changed by several engine calls into the rows to upsert: one per
 * alertId, the latest version, in the order each alert first changed.
 */
export function mergeChangedAlerts(batches: ReadonlyArray<readonly AlertRecord[]>): AlertRecord[] {
  const byId = new Map<string, AlertRecord>();
  for (const batch of batches) for (const a of batch) byId.set(a.alertId, a);
  return [...byId.values()];
}
