import {
  compileMatchers,
  formatMatcher,
  isMatcherError,
  type LabelMatcher,
  matchesAll,
  type MatcherPolicy,
  parseMatcher,
} from './label-matchers.js';

/** Runs any regex; refuses the value "refuse" so the policy's errors can be seen. */
const ANY_REGEX: MatcherPolicy = {
  valueMax: 16,
  compileRegex(value, anchored) {
    if (value === 'refuse') return { ok: false, issues: [{ code: 'TEST.REFUSED', message: 'no' }] };
    const re = new RegExp(anchored);
    return { ok: true, test: (v) => re.test(v) };
  },
};

const labels = { alertname: 'oom', severity: 'critical', host: 'db-1' };

function compileOne(text: string): (l: Readonly<Record<string, string>>) => boolean {
  const m = parseMatcher(text);
  if (isMatcherError(m)) throw new Error(m.message);
  const c = compileMatchers([m], ANY_REGEX);
  if (!c.ok) throw new Error(c.errors[0]!.message);
  return (l) => c.value[0]!.test(l);
}
const test = (text: string): boolean => compileOne(text)(labels);

describe('label matchers', () => {
  it('implements =, !=, =~ (anchored) and !~ like Alertmanager', () => {
    expect([
      test('host=db-1'),
      test('host!=db-1'),
      test('host=~db-.*'),
      test('host=~db'),
      test('severity!~"info|warning"'),
      test('severity=~"critical|high"'),
    ]).toEqual([true, false, true, false, true, true]);
  });

  it('reads a missing label as the empty string', () => {
    expect([test('team=""'), test('team!=""'), test('team=~".*"'), test('team!~".+"')]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('parses quoted and bare values, and refuses malformed text', () => {
    expect(parseMatcher(' severity =~ "critical|high" ')).toEqual({
      name: 'severity',
      op: '=~',
      value: 'critical|high',
    });
    expect(parseMatcher('msg="a \\"quoted\\" word"')).toEqual({
      name: 'msg',
      op: '=',
      value: 'a "quoted" word',
    });
    expect(parseMatcher('host!=db-1')).toEqual({ name: 'host', op: '!=', value: 'db-1' });
    expect(parseMatcher('no operator here')).toMatchObject({
      field: 'matcher',
      code: 'MATCHER.SYNTAX',
    });
    expect(parseMatcher('1x=a')).toMatchObject({ code: 'MATCHER.SYNTAX' });
    expect(parseMatcher('x="\\q"')).toMatchObject({ code: 'MATCHER.SYNTAX' });
  });

  it('reports every invalid matcher by index under the given path', () => {
    const bad = compileMatchers(
      [
        { name: '1x', op: '=', value: 'a' },
        { name: 'x', op: '~' as never, value: 'a' },
        { name: 'x', op: '=', value: 'a'.repeat(17) },
        { name: 'x', op: '=~', value: 'refuse' },
        { name: 'x', op: '=', value: 'a'.repeat(16) },
        { name: undefined as never, op: '=', value: 'a' },
      ],
      ANY_REGEX,
      'filter.matchers',
    );
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field} ${e.code}`)).toEqual([
      'filter.matchers[0].name MATCHER.INVALID_NAME',
      'filter.matchers[1].op MATCHER.INVALID_OP',
      'filter.matchers[2].value MATCHER.INVALID_VALUE',
      'filter.matchers[3].value TEST.REFUSED',
      'filter.matchers[5].name MATCHER.INVALID_NAME',
    ]);
    const tooLong = compileMatchers([{ name: 'x', op: '=', value: 'a'.repeat(17) }], ANY_REGEX);
    expect(!tooLong.ok && tooLong.errors[0]).toEqual({
      field: 'matchers[0].value',
      code: 'MATCHER.INVALID_VALUE',
      message: 'value must be a string of at most 16 characters',
    });
  });

  it('matches when every matcher matches (none: everything)', () => {
    const compile = (ms: LabelMatcher[]) => {
      const c = compileMatchers(ms, ANY_REGEX);
      if (!c.ok) throw new Error(c.errors[0]!.message);
      return c.value;
    };
    const both = compile([
      { name: 'alertname', op: '=', value: 'oom' },
      { name: 'host', op: '=~', value: 'db-.*' },
    ]);
    expect(matchesAll(both, labels)).toBe(true);
    expect(matchesAll(both, { ...labels, host: 'web-1' })).toBe(false);
    expect(matchesAll(compile([]), {})).toBe(true);
  });

  it('formats a matcher so that it parses back', () => {
    const m: LabelMatcher = { name: 'path', op: '!~', value: 'a "b"\\c' };
    expect(formatMatcher(m)).toBe('path!~"a \\"b\\"\\\\c"');
    expect(parseMatcher(formatMatcher(m))).toEqual(m);
  });
});
