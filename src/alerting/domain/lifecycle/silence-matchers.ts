import { type MatcherPolicy } from '../../../platform/labels/label-matchers.js';
import { compileSafeRegex } from '../regex/regex-safety.js';

/**
 * How silences run regex matchers: screened by the alerting service's backtracking analyser,
 * like rule regexes, except that an anchored regex matching "" is legitimate here
 * (`team=~".*"`; a silence that would mute everything is refused separately).
 */
export const SILENCE_MATCHER_POLICY: MatcherPolicy = {
  valueMax: 1024,
  compileRegex(_value, anchored) {
    const res = compileSafeRegex(anchored);
    if (res.ok) {
      const re = res.value.regex;
      return { ok: true, test: (v) => re.test(v) };
    }
    const issues = res.issues.filter((issue) => issue.code !== 'REGEX.EMPTY_MATCH');
    if (issues.length > 0) return { ok: false, issues };
    const re = new RegExp(anchored);
    return { ok: true, test: (v) => re.test(v) };
  },
};
