/**
 * Alertmanager-style label matchers for subscription filters: `=`, `!=`, `=~`, `!~`; a
 * missing label reads as "". Regexes are fully anchored, as in Alertmanager.
 *
 * Services may not import each other, so this does not reuse the alerting service's full
 * backtracking analyser. Instead regex matchers are limited to a subset that cannot
 * backtrack catastrophically: no groups, lookarounds or backreferences (so no nested
 * quantifiers and no quantified alternation), at most two unbounded quantifiers, and label
 * values are cut to 256 characters before matching. That covers what routing rules use in
 * practice: `critical|high`, `db-.*`, `team-[a-z]+`.
 */
export const MATCH_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface FieldError {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface CompiledMatcher {
  readonly matcher: LabelMatcher;
  test(labels: Readonly<Record<string, string>>): boolean;
}

const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MATCHER_TEXT_RE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;
const VALUE_MAX = 512;
const LABEL_VALUE_MATCH_MAX = 256;
const UNBOUNDED_MAX = 2;

/** Parses `severity=~"critical|high"` (quotes optional). */
export function parseMatcher(text: string): LabelMatcher | FieldError {
  const m = MATCHER_TEXT_RE.exec(text);
  if (!m)
    return {
      field: 'matcher',
      code: 'MATCHER.SYNTAX',
      message: `"${text}" is not name=value, name!=value, name=~regex or name!~regex`,
    };
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

export function isFieldError(x: unknown): x is FieldError {
  return typeof x === 'object' && x !== null && 'code' in x;
}

/** Checks the safe regex subset; returns a reason when the pattern is outside it. */
export function unsafeRegexReason(pattern: string): string | null {
  let unbounded = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9k]/.test(next)) return 'backreferences are not allowed';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' || c === ')')
      return 'groups are not allowed in label regexes (use a|b|c at top level)';
    else if (c === '*' || c === '+') unbounded++;
    else if (c === '{' && /^\{\d+,\}/.test(pattern.slice(i))) unbounded++;
  }
  if (unbounded > UNBOUNDED_MAX)
    return `at most ${UNBOUNDED_MAX} unbounded quantifiers (*, +, {n,}) are allowed`;
  return null;
}

export function compileMatchers(
  input: readonly LabelMatcher[],
  path = 'matchers',
): { ok: true; value: CompiledMatcher[] } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
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
    if (typeof m.value !== 'string' || m.value.length > VALUE_MAX) {
      errors.push({
        field: `${field}.value`,
        code: 'MATCHER.INVALID_VALUE',
        message: `value must be a string of at most ${VALUE_MAX} characters`,
      });
      return;
    }
    if (m.op === '=' || m.op === '!=') {
      const negate = m.op === '!=';
      out.push({ matcher: m, test: (labels) => ((labels[m.name] ?? '') === m.value) !== negate });
      return;
    }
    const reason = unsafeRegexReason(m.value);
    if (reason !== null) {
      errors.push({ field: `${field}.value`, code: 'MATCHER.UNSAFE_REGEX', message: reason });
      return;
    }
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m.value})$`);
    } catch (err: unknown) {
      errors.push({
        field: `${field}.value`,
        code: 'MATCHER.INVALID_REGEX',
        message: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    const negate = m.op === '!~';
    out.push({
      matcher: m,
      test: (labels) => re.test((labels[m.name] ?? '').slice(0, LABEL_VALUE_MATCH_MAX)) !== negate,
    });
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
