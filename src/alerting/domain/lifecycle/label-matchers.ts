import { compileSafeRegex } from '../regex/regex-safety.js';

/**
 * Alertmanager-style label matchers: `name=value`, `name!=value`, `name=~regex`,
 * `name!~regex`. Regexes are fully anchored (as in Alertmanager) and safety-checked. A
 * missing label reads as the empty string, so `team!=""` means "team is set".
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

const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MATCHER_TEXT_RE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;
const VALUE_MAX = 1024;

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

/** Validates and compiles matchers; errors carry the index as `matchers[i]`. */
export function compileMatchers(
  input: readonly LabelMatcher[],
  path = 'matchers',
): { ok: true; value: CompiledMatcher[] } | { ok: false; errors: MatcherError[] } {
  const errors: MatcherError[] = [];
  const out: CompiledMatcher[] = [];
  input.forEach((m, i) => {
    const field = `${path}[${i}]`;
    if (!LABEL_NAME_RE.test(m.name)) {
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
    const res = compileSafeRegex(`^(?:${m.value})$`);
    if (!res.ok) {
      for (const issue of res.issues) {
        // An anchored regex that matches "" is legitimate here (e.g. team=~".*").
        if (issue.code !== 'REGEX.EMPTY_MATCH')
          errors.push({ field: `${field}.value`, code: issue.code, message: issue.message });
      }
      if (res.issues.every((x) => x.code === 'REGEX.EMPTY_MATCH')) {
        const re = new RegExp(`^(?:${m.value})$`);
        const negate = m.op === '!~';
        out.push({ matcher: m, test: (labels) => re.test(labels[m.name] ?? '') !== negate });
      }
      return;
    }
    const re = res.value.regex;
    const negate = m.op === '!~';
    out.push({ matcher: m, test: (labels) => re.test(labels[m.name] ?? '') !== negate });
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

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}
