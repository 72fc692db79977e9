import { compileMatchers, parseMatcher } from './label-matchers.js';
import { silencedBy, silenceState, validateSilence } from './silences.js';

describe('label matchers', () => {
  const labels = { alertname: 'oom', severity: 'critical', host: 'db-1' };
  const test = (text: string): boolean => {
    const m = parseMatcher(text);
    if ('code' in m) throw new Error(m.message);
    const c = compileMatchers([m]);
    if (!c.ok) throw new Error(c.errors[0]!.message);
    return c.value[0]!.test(labels);
  };

  it('implements =, !=, =~ (anchored) and !~ like Alertmanager', () => {
    expect([
      test('host=db-1'),
      test('host!=db-1'),
      test('host=~db-.*'),
      test('host=~db'),
      test('severity!~"info|warning"'),
    ]).toEqual([true, false, true, false, true]);
    expect([test('team=""'), test('team!=""'), test('team=~".*"')]).toEqual([true, false, true]);
  });

  it('rejects dangerous or malformed matchers', () => {
    const bad = compileMatchers([
      { name: 'x', op: '=~', value: '(a+)+' },
      { name: '1x', op: '=', value: 'a' },
      { name: 'x', op: '~' as never, value: 'a' },
    ]);
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field} ${e.code}`)).toEqual([
      'matchers[0].value REGEX.NESTED_QUANTIFIER',
      'matchers[1].name MATCHER.INVALID_NAME',
      'matchers[2].op MATCHER.INVALID_OP',
    ]);
    expect(parseMatcher('no operator here')).toMatchObject({ code: 'MATCHER.SYNTAX' });
  });
});

describe('silences', () => {
  const base = {
    id: 's1',
    matchers: ['alertname=oom', 'host=~"db-.*"'],
    startsAt: 1000,
    endsAt: 2000,
    createdBy: 'ops',
    comment: 'patching',
  };

  it('is active in [startsAt, endsAt) and mutes matching labels only', () => {
    const s = validateSilence(base);
    if (!s.ok) throw new Error(JSON.stringify(s.errors));
    expect([
      silenceState(base, 999),
      silenceState(base, 1000),
      silenceState(base, 1999),
      silenceState(base, 2000),
    ]).toEqual(['pending', 'active', 'active', 'expired']);
    expect(silencedBy([s.value], { alertname: 'oom', host: 'db-2' }, 1500)).toEqual(['s1']);
    expect(silencedBy([s.value], { alertname: 'oom', host: 'web-2' }, 1500)).toEqual([]);
    expect(silencedBy([s.value], { alertname: 'oom', host: 'db-2' }, 2500)).toEqual([]);
  });

  it('validates input and refuses a silence that would mute everything', () => {
    const bad = validateSilence({
      id: '',
      matchers: ['host=~".*"'],
      startsAt: 5,
      endsAt: 1,
      createdBy: '',
    });
    expect(bad.ok ? [] : bad.errors.map((e) => e.code)).toEqual([
      'SILENCE.REQUIRED',
      'SILENCE.INVALID_WINDOW',
      'SILENCE.REQUIRED',
      'SILENCE.MATCHES_ALL',
    ]);
    const iso = validateSilence({
      ...base,
      startsAt: '2024-01-01T00:00:00Z',
      endsAt: '2024-01-01T01:00:00Z',
    });
    expect(iso.ok && iso.value.silence.endsAt - iso.value.silence.startsAt).toBe(3_600_000);
  });
});
