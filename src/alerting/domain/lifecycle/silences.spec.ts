import { compileMatchers, type LabelMatcher } from '../../../platform/labels/label-matchers.js';
import { SILENCE_MATCHER_POLICY } from './silence-matchers.js';
import { silencedBy, silenceState, validateSilence } from './silences.js';

describe('silence matchers', () => {
  const compile = (matchers: LabelMatcher[]) => compileMatchers(matchers, SILENCE_MATCHER_POLICY);

  it('screens regexes with the backtracking analyser, allowing ones that match ""', () => {
    const bad = compile([
      { name: 'x', op: '=~', value: '(a+)+' },
      { name: 'x', op: '=~', value: '(a)\\1' },
      { name: 'x', op: '=', value: 'a'.repeat(1025) },
    ]);
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field} ${e.code}`)).toEqual([
      'matchers[0].value REGEX.NESTED_QUANTIFIER',
      'matchers[1].value REGEX.BACKREFERENCE',
      'matchers[2].value MATCHER.INVALID_VALUE',
    ]);
    const ok = compile([
      { name: 'team', op: '=~', value: '.*' },
      { name: 'host', op: '!~', value: 'web-.*' },
      { name: 'x', op: '=', value: 'a'.repeat(1024) },
    ]);
    expect(ok.ok && ok.value.map((m) => m.test({ host: 'db-1', x: 'a'.repeat(1024) }))).toEqual([
      true,
      true,
      true,
    ]);
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
