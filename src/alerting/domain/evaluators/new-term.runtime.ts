import { type Captures } from '../matching/compiled-match.js';
import { type PreparedLine } from '../matching/prepared-line.js';
import { readField } from '../rules/field-path.js';
import { type RuleParams, type RuleSpec } from '../rules/rule.types.js';
import {
  type EvalContext,
  firingAlert,
  groupMapKey,
  RuleRuntime,
  type RuntimeState,
} from './rule-runtime.js';

type NewTermParams = Extract<RuleParams, { type: 'new_term' }>;

/** Terms listed in an alert's `terms` detail; beyond this the list says how many more. */
const TERMS_SHOWN = 20;

/**
 * `new_term`: the value of `term_fields` (joined with "|" when several) was never seen
 * before. Memory is bounded by max_terms, least recently seen terms being forgotten first
 * (a forgotten term that comes back counts as new again). Terms seen during `warmup` after
 * the rule starts are learnt without alerting. The alert is grouped by group_by when given,
 * else by the term fields themselves; it resolves resolve_after after the last new term.
 */
export class NewTermRuntime extends RuleRuntime {
  private terms = new Map<string, true>();
  private readonly p: NewTermParams;

  constructor(spec: RuleSpec, revision: string) {
    super(spec, revision);
    if (spec.params.type !== 'new_term') throw new Error('not a new_term rule');
    this.p = spec.params;
    for (const t of this.p.knownTerms) this.remember(t);
  }

  get termCount(): number {
    return this.terms.size;
  }

  onMatch(ctx: EvalContext, p: PreparedLine, captures: Captures, at: number, now: number): void {
    const values: string[] = [];
    for (const f of this.p.termFields) {
      const v = readField(p.line, f, captures);
      if (v === undefined) return;
      values.push(v);
    }
    const term = values.join('|');
    if (this.terms.has(term)) {
      this.terms.delete(term);
      this.terms.set(term, true);
      return;
    }
    this.remember(term);
    if (this.startedAt !== null && at < this.startedAt + this.p.warmupMs) return;
    const group =
      this.spec.groupBy.length > 0
        ? this.groupOf(p, captures)
        : this.groupOf(p, captures, this.p.termFields);
    const fingerprint = this.fingerprint(group, groupMapKey(group));
    const firing = firingAlert(ctx, fingerprint, now);
    const known = firing?.details['terms'];
    ctx.lifecycle.signal({
      rule: this.spec,
      group,
      fingerprint,
      at,
      now,
      lines: [ctx.evidence(p)],
      count: 1,
      clearsAt: at,
      triggerId: p.line.eventId,
      details: { terms: appendTerm(known, term, firing ? firing.matchCount + 1 : 1) },
    });
  }

  private remember(term: string): void {
    this.terms.set(term, true);
    while (this.terms.size > this.p.maxTerms) {
      this.terms.delete(this.terms.keys().next().value as string);
    }
  }

  protected override snapshotState(): Partial<RuntimeState> {
    return { terms: [...this.terms.keys()] };
  }

  protected override restoreState(state: RuntimeState): void {
    this.terms = new Map();
    for (const t of state.terms ?? []) this.remember(t);
  }
}

function appendTerm(list: string | undefined, term: string, total: number): string {
  const shown = list ? list.replace(/ \(\+\d+ more\)$/, '').split(', ') : [];
  if (shown.length < TERMS_SHOWN) shown.push(term);
  const more = total - shown.length;
  return more > 0 ? `${shown.join(', ')} (+${more} more)` : shown.join(', ');
}
