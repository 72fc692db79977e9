import { type Captures } from '../matching/compiled-match.js';
import { type PreparedLine } from '../matching/prepared-line.js';
import { type EvalContext, firingAlert, groupMapKey, RuleRuntime } from './rule-runtime.js';

/**
 * `pattern` (ElastAlert's "any"): every matching line is an occurrence. The alert for its
 * group fires on the first line and resolves once no line has matched for resolve_after.
 */
export class PatternRuntime extends RuleRuntime {
  onMatch(ctx: EvalContext, p: PreparedLine, captures: Captures, at: number, now: number): void {
    const group = this.groupOf(p, captures);
    const fingerprint = this.fingerprint(group, groupMapKey(group));
    const firing = firingAlert(ctx, fingerprint, now);
    const clearsAt =
      firing !== undefined && firing.lastMatchAt !== null ? Math.max(firing.lastMatchAt, at) : at;
    ctx.lifecycle.signal({
      rule: this.spec,
      group,
      fingerprint,
      at,
      now,
      lines: [ctx.evidence(p)],
      count: 1,
      clearsAt,
      triggerId: p.line.eventId,
    });
  }
}
