/**
 * Alertmanager-style label matchers: `name=value`, `name!=value`, `name=~regex`, `name!~regex`.
 * Regexes are fully anchored (as in Alertmanager); a missing label reads as the empty string, so
 * `team!=""` means "team is set". Pure code: alerting's silences and notifier's subscription
 * filters both use it.
 *
 * Which regexes are safe to run is the caller's decision (a `MatcherPolicy`): the alerting
 * service screens them with its backtracking analyser, the notifier allows only a subset that
 * cannot backtrack catastrophically. The policy also bounds the length of a value.
 */
export const MATCH_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface MatcherError {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface CompiledMatcher {
  readonly matcher: LabelMatcher;
  test(labels: Readonly<Record<string, string>>): boolean;
}

/** A regex the policy refused, with a stable code (reported on `<field>.value`). */
export interface RegexRefusal {
  readonly code: string;
  readonly message: string;
}

export type CompiledValueRegex =
  | { readonly ok: true; readonly test: (value: string) => boolean }
  | { readonly ok: false; readonly issues: readonly RegexRefusal[] };

export interface MatcherPolicy {
  /** Longest value accepted, in characters. */
  readonly valueMax: number;
  /**
   * Compiles the value of a `=~` / `!~` matcher into a test of one label value; `anchored` is
   * the value wrapped as `^(?:value)$`.
   */
  compileRegex(value: string, anchored: string): CompiledValueRegex;
}

const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MATCHER_TEXT_RE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses `severity=~"critical|high"` (quotes optional). */
export function parseMatcher(text: string): LabelMatcher | MatcherError {
  const m = MATCHER_TEXT_RE.exec(text);
  if (!m) {
    return {
      field: 'matcher',
      code: 'MATCHER.SYNTAX',
      message: `"${text}" is not name=value, name!=value, name=~regex or name!~regex`,
    };
  }
  let value = m[3]!;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch {
      return { field: 'matcher', code: 'MATCHER.SYNTAX', message: `bad quoted value in "${text}"` };
    }
  }
  return { name: m[1]!, op: m[2] as MatchOp, value };
}

export function isMatcherError(x: LabelMatcher | MatcherError): x is MatcherError {
  return 'code' in x;
}

/**
 * Validates and compiles matchers under `policy`; every error names its matcher as
 * `<path>[i].name|op|value`.
 */
export function compileMatchers(
  input: readonly LabelMatcher[],
  policy: MatcherPolicy,
  path = 'matchers',
): { ok: true; value: CompiledMatcher[] } | { ok: false; errors: MatcherError[] } {
  const errors: MatcherError[] = [];
  const out: CompiledMatcher[] = [];
  input.forEach((m, i) => {
    const field = `${path}[${i}]`;
    if (typeof m.name !== 'string' || !LABEL_NAME_RE.test(m.name)) {
      errors.push({
        field: `${field}.name`,
        code: 'MATCHER.INVALID_NAME',
        message: 'label names must match [A-Za-z_][A-Za-z0-9_]*',
      });
      return;
    }
    if (!(MATCH_OPS as readonly string[]).includes(m.op)) {
      errors.push({
        field: `${field}.op`,
        code: 'MATCHER.INVALID_OP',
        message: `op must be one of ${MATCH_OPS.join(' ')}`,
      });
      return;
    }
    if (typeof m.value !== 'string' || m.value.length > policy.valueMax) {
      errors.push({
        field: `${field}.value`,
        code: 'MATCHER.INVALID_VALUE',
        message: `value must be a string of at most ${policy.valueMax} characters`,
      });
      return;
    }
    if (m.op === '=' || m.op === '!=') {
      const negate = m.op === '!=';
      out.push({ matcher: m, test: (labels) => ((labels[m.name] ?? '') === m.value) !== negate });
      return;
    }
    const compiled = policy.compileRegex(m.value, `^(?:${m.value})$`);
    if (!compiled.ok) {
      for (const issue of compiled.issues)
        errors.push({ field: `${field}.value`, code: issue.code, message: issue.message });
      return;
    }
    const negate = m.op === '!~';
    out.push({ matcher: m, test: (labels) => compiled.test(labels[m.name] ?? '') !== negate });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

export function matchesAll(
  matchers: readonly CompiledMatcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const m of matchers) if (!m.test(labels)) return false;
  return true;
}

/** `name op "value"`, the value JSON-quoted: parses back with `parseMatcher`. */
export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}
