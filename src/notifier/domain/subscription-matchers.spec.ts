import { compileMatchers, type LabelMatcher } from '../../platform/labels/label-matchers.js';
import { SUBSCRIPTION_MATCHER_POLICY, unsafeRegexReason } from './subscription-matchers.js';

const compile = (matchers: LabelMatcher[]) =>
  compileMatchers(matchers, SUBSCRIPTION_MATCHER_POLICY);

describe('subscription matchers', () => {
  it('keeps label regexes to a subset without catastrophic backtracking', () => {
    const ok = compile([
      { name: 'severity', op: '=~', value: 'critical|high' },
      { name: 'host', op: '!~', value: 'db-.*' },
      { name: 'team', op: '=~', value: 'team-[a-z()]+' },
    ]);
    expect(
      ok.ok && ok.value.map((m) => m.test({ severity: 'high', host: 'web-1', team: 'team-(x)' })),
    ).toEqual([true, true, true]);
    const bad = compile([
      { name: 'a', op: '=~', value: '(a|aa)+' },
      { name: 'a', op: '=~', value: 'a*a*a*' },
      { name: 'a', op: '=~', value: '[a' },
      { name: 'a', op: '=', value: 'a'.repeat(513) },
    ]);
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field} ${e.code}`)).toEqual([
      'matchers[0].value MATCHER.UNSAFE_REGEX',
      'matchers[1].value MATCHER.UNSAFE_REGEX',
      'matchers[2].value MATCHER.INVALID_REGEX',
      'matchers[3].value MATCHER.INVALID_VALUE',
    ]);
  });

  it('says why a pattern is outside the subset', () => {
    expect([
      unsafeRegexReason('a\\1'),
      unsafeRegexReason('(?=a)'),
      unsafeRegexReason('\\(a\\)+'),
      unsafeRegexReason('a{2,}b{3,}c+'),
      unsafeRegexReason('a{2,5}'),
    ]).toEqual([
      'backreferences are not allowed',
      'groups are not allowed in label regexes (use a|b|c at top level)',
      null,
      'at most 2 unbounded quantifiers (*, +, {n,}) are allowed',
      null,
    ]);
  });

  it('matches regexes against the first 256 characters of a label value', () => {
    const c = compile([{ name: 'msg', op: '=~', value: 'a*b' }]);
    if (!c.ok) throw new Error(c.errors[0]!.message);
    expect(c.value[0]!.test({ msg: `${'a'.repeat(255)}b` })).toBe(true);
    expect(c.value[0]!.test({ msg: `${'a'.repeat(256)}b` })).toBe(false);
  });
});
