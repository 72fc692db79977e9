import { type MatcherPolicy } from '../../platform/labels/label-matchers.js';

/**
 * How subscription filters run regex matchers. Services may not import each other, so this
 * does not reuse the alerting service's full backtracking analyser. Instead regex matchers are
 * limited to a subset that cannot backtrack catastrophically: no groups, lookarounds or
 * backreferences (so no nested quantifiers and no quantified alternation), at most two
 * unbounded quantifiers, and label values are cut to 256 characters before matching. That
 * covers what routing rules use in practice: `critical|high`, `db-.*`, `team-[a-z]+`.
 */
const LABEL_VALUE_MATCH_MAX = 256;
const UNBOUNDED_MAX = 2;

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

export const SUBSCRIPTION_MATCHER_POLICY: MatcherPolicy = {
  valueMax: 512,
  compileRegex(value, anchored) {
    const reason = unsafeRegexReason(value);
    if (reason !== null)
      return { ok: false, issues: [{ code: 'MATCHER.UNSAFE_REGEX', message: reason }] };
    let re: RegExp;
    try {
      re = new RegExp(anchored);
    } catch (err: unknown) {
      return {
        ok: false,
        issues: [
          {
            code: 'MATCHER.INVALID_REGEX',
            message: err instanceof Error ? err.message : String(err),
          },
        ],
      };
    }
    return { ok: true, test: (v) => re.test(v.slice(0, LABEL_VALUE_MATCH_MAX)) };
  },
};
