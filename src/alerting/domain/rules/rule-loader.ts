import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { CombinedMatcher } from '../matching/combined-matcher.js';
import { type Result, type RuleError, type RuleSpec } from './rule.types.js';
import { validateRuleFile } from './rule-validator.js';

/**
 * Loading and reloading rule sets. A candidate set is validated and compiled completely
 * before it replaces anything: the caller keeps running the current set when the result is
 * not ok, so a bad edit never disables the rules already running.
 */
export interface CompiledRule {
  readonly spec: RuleSpec;
  /** Hash of the normalised spec: evaluator state survives a reload only if unchanged. */
  readonly revision: string;
}

export interface CompiledRuleSet {
  /** All rules, in file order, including disabled ones. */
  readonly rules: readonly CompiledRule[];
  /** Enabled rules; the matcher's rule indexes refer to this list. */
  readonly enabled: readonly CompiledRule[];
  readonly matcher: CombinedMatcher;
  /** Hash of the whole set. */
  readonly revision: string;
}

export function ruleRevision(spec: RuleSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** Compiles specs that are already validated (for example read back from the database). */
export function compileRuleSpecs(specs: readonly RuleSpec[]): CompiledRuleSet {
  const rules = specs.map((spec) => ({ spec, revision: ruleRevision(spec) }));
  const enabled = rules.filter((r) => r.spec.enabled);
  const matcher = new CombinedMatcher(enabled.map((r) => r.spec));
  const revision = createHash('sha256')
    .update(rules.map((r) => r.revision).join(','))
    .digest('hex')
    .slice(0, 16);
  return { rules, enabled, matcher, revision };
}

/** Validates and compiles a rule file already parsed (YAML or JSON object). */
export function compileRuleSet(input: unknown): Result<CompiledRuleSet, RuleError> {
  const { specs, errors } = validateRuleFile(input);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: compileRuleSpecs(specs) };
}

/** Parses YAML text; syntax errors come back as RULES.YAML errors with line and column. */
export function parseRulesYaml(text: string): Result<unknown, RuleError> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
        return {
          ruleId: null,
          index: null,
          field: where,
          code: 'RULES.YAML',
          message: e.message.split('\n')[0] ?? e.message,
        };
      }),
    };
  }
  return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
}

export function loadRulesYaml(text: string): Result<CompiledRuleSet, RuleError> {
  const parsed = parseRulesYaml(text);
  return parsed.ok ? compileRuleSet(parsed.value) : parsed;
}

export interface ReloadOutcome {
  /** The set to run: the candidate when it compiled, else the current one unchanged. */
  readonly active: CompiledRuleSet;
  readonly applied: boolean;
  readonly errors: readonly RuleError[];
}

export function reloadRules(
  current: CompiledRuleSet,
  candidate: Result<CompiledRuleSet, RuleError>,
): ReloadOutcome {
  return candidate.ok
    ? { active: candidate.value, applied: true, errors: [] }
    : { active: current, applied: false, errors: candidate.errors };
}
