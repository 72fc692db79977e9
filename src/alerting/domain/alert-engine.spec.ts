import avro from 'avsc';
import { type AlertEvent } from '../../platform/schemas/generated.js';
import { SCHEMA_TEXTS } from '../../platform/schemas/generated.js';
import { AlertEngine } from './alert-engine.js';
import { validateSilence } from './lifecycle/silences.js';
import { prematchLines } from './matching/prematch.js';
import { compileRuleSpecs } from './rules/rule-loader.js';
import { seededLines, seededRandom } from './testing/log-samples.js';
import { engine, line, MIN, ruleSet, SEC, T0 } from './testing/rule-fixtures.js';

const summary = (events: readonly AlertEvent[]): string[] =>
  events.map((e) => `${e.status} ${e.ruleId} [${e.groupKey}] n=${e.matchCount}`);

describe('AlertEngine: pattern rules', () => {
  const rules = ruleSet({
    id: 'oom',
    type: 'pattern',
    severity: 'critical',
    match: { regex: '(?i)out of memory' },
    group_by: ['host'],
    resolve_after: '5m',
    realert: '10m',
    except: [{ keywords: ['oom_score_adj'] }],
  });

  it('fires once per group and de-duplicates further matches into the same alert', () => {
    const e = engine(rules);
    const out = e.process([
      line(T0, 'Out of memory: kill process 12', { host: 'a' }),
      line(T0 + SEC, 'out of memory again', { host: 'a' }),
      line(T0 + 2 * SEC, 'OUT OF MEMORY', { host: 'b' }),
      line(T0 + 3 * SEC, 'all good', { host: 'a' }),
    ]);
    expect(summary(out.events)).toEqual(['FIRING oom [host=a] n=1', 'FIRING oom [host=b] n=1']);
    const a = e.activeAlerts().find((x) => x.groupKey === 'host=a')!;
    expect(a.matchCount).toBe(2);
    expect(a.firstLines.map((l) => l.message)).toEqual([
      'Out of memory: kill process 12',
      'out of memory again',
    ]);
    expect(a.labels).toEqual({ alertname: 'oom', severity: 'critical', host: 'a' });
  });

  it('ignores lines matching an exception', () => {
    const e = engine(rules);
    const out = e.process([line(T0, 'out of memory: oom_score_adj=500 for pid 4')]);
    expect(out.events).toEqual([]);
  });

  it('resolves resolve_after after the last match, with endsAt at that instant', () => {
    const e = engine(rules);
    e.process([line(T0, 'out of memory'), line(T0 + 2 * MIN, 'out of memory')]);
    expect(e.tick(T0 + 6 * MIN).events).toEqual([]);
    const out = e.tick(T0 + 7 * MIN);
    expect(summary(out.events)).toEqual(['RESOLVED oom [host=h1] n=2']);
    expect(out.events[0]!.endsAt).toBe(T0 + 7 * MIN);
    expect(out.alerts[0]!.status).toBe('resolved');
    expect(e.activeAlerts()).toEqual([]);
  });

  it('opens a new alert (new alertId, same fingerprint) when the pattern returns after resolving', () => {
    const e = engine(rules);
    const first = e.process([line(T0, 'out of memory')]).events[0]!;
    e.tick(T0 + 10 * MIN);
    const again = e.process([line(T0 + 11 * MIN, 'out of memory')]).events[0]!;
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.alertId).not.toBe(first.alertId);
  });

  it('reports both records when an alert resolves and re-opens within one batch', () => {
    const e = engine(rules);
    const out = e.process([line(T0, 'out of memory'), line(T0 + 10 * MIN, 'out of memory')]);
    expect(summary(out.events)).toEqual([
      'FIRING oom [host=h1] n=1',
      'RESOLVED oom [host=h1] n=1',
      'FIRING oom [host=h1] n=1',
    ]);
    expect(out.alerts.map((a) => a.status)).toEqual(['resolved', 'firing']);
    expect(new Set(out.alerts.map((a) => a.alertId)).size).toBe(2);
  });

  it('re-alerts with the updated count at most every realert interval, only with new matches', () => {
    const e = engine(rules);
    e.process([line(T0, 'out of memory')]);
    expect(
      e.process([line(T0 + 4 * MIN, 'out of memory'), line(T0 + 8 * MIN, 'out of memory')]).events,
    ).toEqual([]);
    expect(summary(e.tick(T0 + 10 * MIN).events)).toEqual(['FIRING oom [host=h1] n=3']);
    expect(e.tick(T0 + 10 * MIN + 30 * SEC).events).toEqual([]);
    // Without new matches nothing is re-sent, then it resolves 5 minutes after the last line.
    expect(e.tick(T0 + 12 * MIN).events).toEqual([]);
    expect(summary(e.tick(T0 + 21 * MIN).events)).toEqual(['RESOLVED oom [host=h1] n=3']);
  });

  it('does not send re-alert updates for an acknowledged alert, but still resolves it', () => {
    const e = engine(rules);
    const fp = e.process([line(T0, 'out of memory')]).events[0]!.fingerprint;
    expect(e.acknowledge(fp, 'alice', 'looking', T0 + SEC)?.acknowledgedBy).toBe('alice');
    e.process([line(T0 + 4 * MIN, 'out of memory'), line(T0 + 8 * MIN, 'out of memory')]);
    expect(e.tick(T0 + 12 * MIN).events).toEqual([]);
    expect(summary(e.tick(T0 + 14 * MIN).events)).toEqual(['RESOLVED oom [host=h1] n=3']);
  });

  it('keeps first and last evidence lines bounded and cuts long messages', () => {
    const e = engine(rules, { evidenceLines: 2, evidenceMessageMax: 20 });
    e.process(
      [1, 2, 3, 4, 5].map((i) => line(T0 + i * SEC, `out of memory #${i} ${'x'.repeat(40)}`)),
    );
    const a = e.activeAlerts()[0]!;
    expect(a.firstLines.map((l) => l.message)).toEqual([
      'out of memory #1 xxx',
      'out of memory #2 xxx',
    ]);
    expect(a.lastLines.map((l) => l.message)).toEqual([
      'out of memory #4 xxx',
      'out of memory #5 xxx',
    ]);
    expect(a.lastLines.every((l) => l.truncated === true)).toBe(true);
  });
});

describe('AlertEngine: frequency rules', () => {
  const rules = ruleSet({
    id: 'auth-burst',
    type: 'frequency',
    match: { keywords: ['authentication failure'] },
    group_by: ['fields.rhost'],
    threshold: 3,
    timeframe: '1m',
  });
  const fail = (at: number, rhost: string): ReturnType<typeof line> =>
    line(at, 'pam_unix: authentication failure; user=root', { fields: { rhost } });

  it('fires when N matches fall within the timeframe, per group', () => {
    const e = engine(rules);
    const out = e.process([
      fail(T0, 'x'),
      fail(T0 + 20 * SEC, 'y'),
      fail(T0 + 30 * SEC, 'x'),
      fail(T0 + 40 * SEC, 'y'),
      fail(T0 + 59 * SEC, 'x'),
    ]);
    expect(summary(out.events)).toEqual(['FIRING auth-burst [fields.rhost=x] n=3']);
    expect(out.events[0]!.labels).toMatchObject({ rhost: 'x' });
    expect(out.events[0]!.firstLines).toHaveLength(3);
  });

  it('does not fire when the matches are spread wider than the timeframe', () => {
    const e = engine(rules);
    const out = e.process([fail(T0, 'x'), fail(T0 + 40 * SEC, 'x'), fail(T0 + 61 * SEC, 'x')]);
    expect(out.events).toEqual([]);
  });

  it('counts further matches while firing and resolves once the window no longer holds N', () => {
    const e = engine(rules);
    e.process([
      fail(T0, 'x'),
      fail(T0 + SEC, 'x'),
      fail(T0 + 2 * SEC, 'x'),
      fail(T0 + 3 * SEC, 'x'),
    ]);
    // Newest three: 1s, 2s, 3s -> the window stops holding 3 at 1s + 60s.
    expect(e.tick(T0 + 60 * SEC).events).toEqual([]);
    const out = e.tick(T0 + 61 * SEC);
    expect(summary(out.events)).toEqual(['RESOLVED auth-burst [fields.rhost=x] n=4']);
    expect(out.events[0]!.endsAt).toBe(T0 + 61 * SEC);
  });
});

describe('AlertEngine: spike rules', () => {
  const rules = ruleSet({
    id: 'err-spike',
    type: 'spike',
    match: { level_at_least: 'ERROR' },
    group_by: ['source'],
    timeframe: '10m',
    spike_ratio: 3,
    spike_direction: 'both',
    min_count: 5,
  });
  const err = (at: number): ReturnType<typeof line> => line(at, 'boom', { level: 'ERROR' });

  it('fires on a rise of ratio × the previous window and resolves when it subsides', () => {
    const e = engine(rules);
    // Baseline: 2 errors per 10 minutes; the rule starts at the first line (warm-up 20 min).
    const baseline = [1, 6, 11, 16].map((m) => err(T0 + m * MIN));
    expect(e.process(baseline).events).toEqual([]);
    // A burst from 21 min. Judged on complete one-minute buckets: at 25:00 the last ten
    // (15-24) hold 5 (16, 21-24) vs 2 before (6, 11): below 3x. At 26:00: 6 vs 2 -> fires.
    const burst = [21, 22, 23, 24, 25, 26, 27, 28].map((m) => err(T0 + m * MIN));
    const out = e.process(burst);
    expect(summary(out.events)).toEqual(['FIRING err-spike [source=app] n=6']);
    expect(out.events[0]!.startsAt).toBe(T0 + 26 * MIN);
    // The 26-min line is counted after the 26:00 judgement, then 27 and 28: 6 + 3.
    expect(e.activeAlerts()[0]!.matchCount).toBe(9);
    expect(out.events[0]!.annotations?.['description']).toContain('from 2 to 6');
    // Later both windows calm down (the burst slides into the reference window = a drop).
    const later = e.tick(T0 + 50 * MIN);
    expect(later.events.some((x) => x.status === 'RESOLVED')).toBe(true);
  });

  it('detects a drop (down) on tick, not before two windows have been observed', () => {
    const down = ruleSet({
      id: 'drop',
      type: 'spike',
      match: { keywords: ['heartbeat'] },
      timeframe: '10m',
      spike_ratio: 4,
      spike_direction: 'down',
      min_count: 8,
    });
    const e = engine(down);
    const beats = Array.from({ length: 20 }, (_, i) => line(T0 + i * MIN, 'heartbeat ok'));
    expect(e.process(beats).events).toEqual([]);
    // Still warming up at 19:30 (two windows = 20 min from the first line).
    expect(e.tick(T0 + 19 * MIN + 30 * SEC).events).toEqual([]);
    // Beats stop at 19 min. At 30:30 the current window (20-29 min) has 0, the one before 10.
    expect(summary(e.tick(T0 + 30 * MIN + 30 * SEC).events)).toEqual(['FIRING drop [] n=0']);
  });

  it('does not judge during warm-up', () => {
    const e = engine(rules);
    const out = e.process(Array.from({ length: 10 }, (_, i) => err(T0 + i * SEC)));
    expect(out.events).toEqual([]);
  });
});

describe('AlertEngine: flatline rules', () => {
  const rules = ruleSet({
    id: 'quiet',
    type: 'flatline',
    group_by: ['source'],
    timeframe: '5m',
    forget_after: '1h',
  });

  it('fires on tick when a known source goes quiet, starting exactly timeframe after its last line', () => {
    const e = engine(rules);
    e.process([
      line(T0, 'a', { source: 's1' }),
      line(T0 + MIN, 'b', { source: 's1' }),
      line(T0 + MIN, 'c', { source: 's2' }),
    ]);
    expect(e.tick(T0 + 5 * MIN + 59 * SEC).events).toEqual([]);
    const out = e.tick(T0 + 6 * MIN + 10 * SEC);
    expect(summary(out.events)).toEqual([
      'FIRING quiet [source=s1] n=0',
      'FIRING quiet [source=s2] n=0',
    ]);
    expect(out.events[0]!.startsAt).toBe(T0 + 6 * MIN);
    expect(out.events[0]!.lastLines?.map((l) => l.message)).toEqual(['a', 'b']);
  });

  it('resolves when the source is back', () => {
    const e = engine(rules);
    e.process([line(T0, 'a')]);
    e.tick(T0 + 10 * MIN);
    const out = e.process([line(T0 + 11 * MIN, 'back')]);
    expect(summary(out.events)).toEqual(['RESOLVED quiet [source=app] n=0']);
    expect(out.events[0]!.endsAt).toBe(T0 + 11 * MIN);
  });

  it('reports a gap noticed only when the next line arrives (no tick in between)', () => {
    const e = engine(rules, { evalIntervalMs: 60 * MIN });
    e.process([line(T0, 'a')]);
    const out = e.process([line(T0 + 7 * MIN, 'b')]);
    expect(summary(out.events)).toEqual([
      'FIRING quiet [source=app] n=0',
      'RESOLVED quiet [source=app] n=0',
    ]);
    expect([out.events[0]!.startsAt, out.events[1]!.endsAt]).toEqual([T0 + 5 * MIN, T0 + 7 * MIN]);
  });

  it('forgets a group after forget_after and resolves its alert', () => {
    const e = engine(rules);
    e.process([line(T0, 'a')]);
    e.tick(T0 + 6 * MIN);
    const out = e.tick(T0 + 61 * MIN);
    expect(summary(out.events)).toEqual(['RESOLVED quiet [source=app] n=0']);
    expect(e.tick(T0 + 120 * MIN).events).toEqual([]);
  });

  it('honours a threshold above one', () => {
    const e = engine(ruleSet({ id: 'few', type: 'flatline', timeframe: '5m', threshold: 3 }));
    e.process([
      line(T0, 'a'),
      line(T0 + MIN, 'b'),
      line(T0 + 2 * MIN, 'c'),
      line(T0 + 4 * MIN, 'd'),
    ]);
    // Newest three at 1, 2, 4 min: fewer than 3 in the last 5 minutes from 6 min on.
    expect(e.tick(T0 + 5 * MIN + 59 * SEC).events).toEqual([]);
    expect(e.tick(T0 + 6 * MIN).events.map((x) => x.startsAt)).toEqual([T0 + 6 * MIN]);
  });
});

describe('AlertEngine: new_term rules', () => {
  const base = {
    id: 'new-user',
    type: 'new_term',
    match: { regex: 'Accepted password for (?<user>\\S+) from' },
    term_fields: ['fields.user'],
  };

  it('alerts on values never seen before, once per value', () => {
    const e = engine(ruleSet(base));
    const out = e.process([
      line(T0, 'Accepted password for alice from 1.2.3.4'),
      line(T0 + SEC, 'Accepted password for alice from 1.2.3.4'),
      line(T0 + 2 * SEC, 'Accepted password for bob from 1.2.3.4'),
    ]);
    expect(summary(out.events)).toEqual([
      'FIRING new-user [fields.user=alice] n=1',
      'FIRING new-user [fields.user=bob] n=1',
    ]);
  });

  it('learns silently during warm-up and honours known terms', () => {
    const e = engine(ruleSet({ ...base, warmup: '1h', known_terms: ['root'] }));
    expect(e.process([line(T0, 'Accepted password for alice from x')]).events).toEqual([]);
    const out = e.process([
      line(T0 + 2 * 60 * MIN, 'Accepted password for alice from x'),
      line(T0 + 2 * 60 * MIN + 1, 'Accepted password for root from x'),
      line(T0 + 2 * 60 * MIN + 2, 'Accepted password for carol from x'),
    ]);
    expect(summary(out.events)).toEqual(['FIRING new-user [fields.user=carol] n=1']);
  });

  it('groups new terms by group_by and lists them', () => {
    const e = engine(ruleSet({ ...base, group_by: ['host'] }));
    e.process(['a', 'b', 'c'].map((u, i) => line(T0 + i, `Accepted password for ${u} from x`)));
    const a = e.activeAlerts()[0]!;
    expect([a.groupKey, a.matchCount, a.details['terms']]).toEqual(['host=h1', 3, 'a, b, c']);
  });

  it('keeps a bounded memory of terms (least recently seen forgotten first)', () => {
    const e = engine(ruleSet({ ...base, max_terms: 2, resolve_after: '1s' }));
    const users = ['a', 'b', 'a', 'c', 'b'];
    const out = e.process(
      users.map((u, i) => line(T0 + i * 10 * SEC, `Accepted password for ${u} from x`)),
    );
    // a, b new; a known; c new (evicts b, the least recently seen); b new again.
    expect(out.events.filter((x) => x.status === 'FIRING').map((x) => x.groupKey)).toEqual([
      'fields.user=a',
      'fields.user=b',
      'fields.user=c',
      'fields.user=b',
    ]);
  });
});

describe('AlertEngine: silences', () => {
  const rules = ruleSet({
    id: 'oom',
    type: 'pattern',
    match: { keywords: ['out of memory'] },
    group_by: ['host'],
    severity: 'critical',
    resolve_after: '30m',
  });
  const silence = (
    matchers: string[],
    startsAt: number,
    endsAt: number,
  ): ReturnType<typeof validateSilence> =>
    validateSilence({
      id: 's1',
      matchers,
      startsAt,
      endsAt,
      createdBy: 'ops',
      comment: 'maintenance',
    });

  it('holds back notifications while silenced and notifies at once when the silence ends', () => {
    const e = engine(rules);
    const s = silence(['host=a'], T0, T0 + 10 * MIN);
    if (!s.ok) throw new Error('bad silence');
    e.setSilences([s.value], T0);
    const out = e.process([
      line(T0 + MIN, 'out of memory', { host: 'a' }),
      line(T0 + MIN, 'out of memory', { host: 'b' }),
    ]);
    expect(summary(out.events)).toEqual(['FIRING oom [host=b] n=1']);
    expect(e.activeAlerts().find((a) => a.groupKey === 'host=a')?.silencedBy).toEqual(['s1']);
    e.process([line(T0 + 4 * MIN, 'out of memory', { host: 'a' })]);
    const after = e.tick(T0 + 10 * MIN);
    expect(summary(after.events)).toEqual(['FIRING oom [host=a] n=2']);
  });

  it('re-notifies when a silence is removed early', () => {
    const e = engine(rules);
    const s = silence(['severity=~"critical|high"'], T0, T0 + 60 * MIN);
    if (!s.ok) throw new Error('bad silence');
    e.setSilences([s.value], T0);
    expect(e.process([line(T0 + MIN, 'out of memory')]).events).toEqual([]);
    expect(summary(e.setSilences([], T0 + 2 * MIN).events)).toEqual(['FIRING oom [host=h1] n=1']);
  });

  it('never emits RESOLVED for an alert whose FIRING was never emitted', () => {
    const e = engine(rules);
    const s = silence(['alertname=oom'], T0, T0 + 60 * MIN);
    if (!s.ok) throw new Error('bad silence');
    e.setSilences([s.value], T0);
    e.process([line(T0 + MIN, 'out of memory')]);
    const out = e.tick(T0 + 40 * MIN);
    expect(out.events).toEqual([]);
    expect(out.alerts.map((a) => a.status)).toEqual(['resolved']);
  });

  it('sends the RESOLVED of an alert notified before a silence started', () => {
    const e = engine(rules);
    e.process([line(T0, 'out of memory')]);
    const s = silence(['alertname=oom'], T0 + MIN, T0 + 60 * MIN);
    if (!s.ok) throw new Error('bad silence');
    e.setSilences([s.value], T0 + MIN);
    expect(summary(e.tick(T0 + 31 * MIN).events)).toEqual(['RESOLVED oom [host=h1] n=1']);
  });
});

describe('AlertEngine: state, reloads and determinism', () => {
  const rules = ruleSet(
    { id: 'oom', type: 'pattern', match: { keywords: ['out of memory'] } },
    {
      id: 'burst',
      type: 'frequency',
      match: { keywords: ['refused'] },
      threshold: 3,
      timeframe: '1m',
    },
    {
      id: 'users',
      type: 'new_term',
      match: { regex: 'user=(?<user>\\w+)' },
      term_fields: ['fields.user'],
    },
  );
  const input = [
    line(T0, 'out of memory'),
    line(T0 + SEC, 'connection refused'),
    line(T0 + 2 * SEC, 'connection refused user=al'),
    line(T0 + 3 * SEC, 'user=bo'),
  ];
  const rest = [
    line(T0 + 4 * SEC, 'connection refused'),
    line(T0 + 5 * SEC, 'user=al'),
    line(T0 + 6 * SEC, 'user=cy'),
  ];

  it('produces identical events (ids included) from a JSON snapshot as without one', () => {
    const straight = engine(rules);
    straight.process(input);
    const expected = [...straight.process(rest).events, ...straight.tick(T0 + 30 * MIN).events];

    const first = engine(rules);
    first.process(input);
    const snap = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<
      AlertEngine['snapshot']
    >;
    const restored = new AlertEngine(rules, {}, snap);
    const actual = [...restored.process(rest).events, ...restored.tick(T0 + 30 * MIN).events];
    expect(actual).toEqual(expected);
    expect(summary(actual)).toContain('FIRING burst [] n=3');
  });

  it('is deterministic: the same input gives the same event ids', () => {
    const a = engine(rules)
      .process(input)
      .events.map((e) => e.eventId);
    const b = engine(rules)
      .process(input)
      .events.map((e) => e.eventId);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });

  it('keeps evaluator state of unchanged rules across a reload and resolves alerts of removed rules', () => {
    const e = engine(rules);
    e.process(input);
    const smaller = ruleSet(
      {
        id: 'burst',
        type: 'frequency',
        match: { keywords: ['refused'] },
        threshold: 3,
        timeframe: '1m',
      },
      {
        id: 'users',
        type: 'new_term',
        match: { regex: 'user=(?<user>\\w+)' },
        term_fields: ['fields.user'],
      },
    );
    const out = e.setRules(smaller);
    expect(summary(out.events)).toEqual(['RESOLVED oom [] n=1']);
    // burst kept its two earlier matches: one more fires it; users kept "al".
    expect(summary(e.process(rest).events)).toEqual([
      'FIRING burst [] n=3',
      'FIRING users [fields.user=cy] n=1',
    ]);
  });

  it('clamps line timestamps far ahead of the last tick', () => {
    const e = engine(rules);
    e.tick(T0);
    e.process([line(T0 + 365 * 24 * 60 * MIN, 'out of memory')]);
    expect(e.stats.clampedTimestamps).toBe(1);
    expect(e.watermark).toBe(T0 + 5 * MIN);
  });

  it('truncates over-long lines with a flag instead of failing', () => {
    const e = engine(rules, { maxLineLength: 100 });
    const out = e.process([
      line(T0, `out of memory ${'x'.repeat(1_000_000)}`),
      line(T0, `${'y'.repeat(200)} out of memory`),
    ]);
    expect(e.stats.truncated).toBe(2);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]!.firstLines?.[0]?.truncated).toBe(true);
  });

  it('emits events that encode with the AlertEvent Avro schema', () => {
    const type = avro.Type.forSchema(JSON.parse(SCHEMA_TEXTS['alert-event']) as avro.Schema, {
      logicalTypes: {},
    });
    const e = engine(rules);
    const events = [...e.process([...input, ...rest]).events, ...e.tick(T0 + 60 * MIN).events];
    expect(events.length).toBeGreaterThan(3);
    for (const ev of events) {
      const avroShape = {
        ...ev,
        host: undefined,
        endsAt: ev.endsAt ?? null,
        firstLines: (ev.firstLines ?? []).map((l) => ({
          ...l,
          host: l.host ?? null,
          level: l.level ?? null,
          truncated: l.truncated ?? false,
        })),
        lastLines: (ev.lastLines ?? []).map((l) => ({
          ...l,
          host: l.host ?? null,
          level: l.level ?? null,
          truncated: l.truncated ?? false,
        })),
      };
      delete avroShape.host;
      expect(
        type.isValid(avroShape, { errorHook: (path) => console.error('invalid at', path) }),
      ).toBe(true);
      expect(ev.eventId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });
});

describe('AlertEngine: matching split from applying (prematchLines + processPrematched)', () => {
  const specs: Array<Record<string, unknown>> = [
    {
      id: 'ssh-fail',
      type: 'frequency',
      match: { regex: 'Failed password for (invalid user )?(?<user>\\S+) from' },
      group_by: ['host', 'fields.user'],
      threshold: 3,
      timeframe: '2m',
      resolve_after: '5m',
    },
    { id: 'oom', type: 'pattern', match: { regex: '(?i)out of ?memory' }, group_by: ['host'] },
    {
      id: 'conn',
      type: 'spike',
      match: { keywords: ['Connection'] },
      timeframe: '5m',
      spike_ratio: 2,
      spike_direction: 'both',
      min_count: 3,
    },
    { id: 'quiet', type: 'flatline', group_by: ['source'], timeframe: '3m', forget_after: '1h' },
    {
      id: 'who',
      type: 'new_term',
      match: { regex: 'Accepted password for (?<user>\\S+) from' },
      term_fields: ['fields.user'],
    },
  ];
  const rnd = seededRandom(7);
  const messages = seededLines(4000, 11);
  let at = T0;
  const lines = messages.map((message, i) => {
    at += Math.floor(rnd() * 400) * (i % 500 === 499 ? 1000 : 1); // now and then a long gap
    return line(at, message, {
      host: `h${Math.floor(rnd() * 4)}`,
      source: i % 7 === 0 ? 'db' : 'app',
    });
  });

  it('gives exactly the events and state of process(), also when matched on a copy of the rule set and cloned', () => {
    const direct = engine(ruleSet(...specs));
    const viaCopy = engine(ruleSet(...specs));
    // What a worker thread does: its own compiled copy of the rules, results cloned across.
    const workerRules = compileRuleSpecs(viaCopy.ruleSet.rules.map((r) => r.spec));
    const a: AlertEvent[] = [];
    const b: AlertEvent[] = [];
    for (let i = 0; i < lines.length; i += 250) {
      const chunk = lines.slice(i, i + 250);
      a.push(...direct.process(chunk).events);
      b.push(
        ...viaCopy.processPrematched(structuredClone(prematchLines(workerRules, chunk))).events,
      );
    }
    expect(a.length).toBeGreaterThan(10);
    expect(new Set(a.map((e) => e.ruleId)).size).toBeGreaterThanOrEqual(4);
    expect(b).toEqual(a);
    expect(viaCopy.snapshot()).toEqual(direct.snapshot());
    expect(viaCopy.stats).toEqual(direct.stats);
  });

  it('refuses a chunk matched against another rule set revision', () => {
    const e = engine(ruleSet(...specs));
    const other = ruleSet(...specs.slice(1));
    expect(() => e.processPrematched(prematchLines(other, lines.slice(0, 10)))).toThrow(
      /matched against rule set/,
    );
    expect(e.stats.lines).toBe(0);
  });
});
