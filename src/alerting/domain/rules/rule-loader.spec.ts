import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RuleError } from './rule.types.js';
import { compileRuleSet, loadRulesYaml, reloadRules } from './rule-loader.js';
import { parseDuration } from './duration.js';

const errorsOf = (input: unknown): RuleError[] => {
  const r = compileRuleSet(input);
  return r.ok ? [] : [...r.errors];
};
const brief = (errs: RuleError[]): string[] =>
  errs.map((e) => `${e.ruleId ?? '-'} ${e.field} ${e.code}`);

describe('rule validation', () => {
  it('collects every error with rule id, field and reason', () => {
    const errs = errorsOf({
      rules: [
        { id: 'ok-rule', type: 'pattern', match: { keywords: ['x'] } },
        { id: 'bad-regex', type: 'pattern', match: { regex: '(a+)+$' }, severity: 'urgent' },
        { id: 'freq', type: 'frequency', treshold: 5, timeframe: '5' },
        { id: 'Bad Id', type: 'pattern', match: { keywords: ['x'] } },
        { id: 'ok-rule', type: 'nope' },
      ],
    });
    expect(brief(errs)).toEqual([
      'bad-regex severity RULE.INVALID_VALUE',
      'bad-regex match.regex REGEX.NESTED_QUANTIFIER',
      'freq treshold RULE.UNKNOWN_FIELD',
      'freq threshold RULE.REQUIRED',
      'freq timeframe RULE.INVALID_DURATION',
      'freq timeframe RULE.REQUIRED',
      'Bad Id id RULE.INVALID_ID',
      'ok-rule type RULE.INVALID_VALUE',
      'ok-rule id RULE.DUPLICATE_ID',
    ]);
    expect(errs[1]!.message).toMatch(/nested quantifiers/);
    expect(errs[1]!.index).toBe(1);
  });

  it('checks nested paths: conditions, exceptions, templates, labels, group fields', () => {
    const errs = errorsOf({
      rules: [
        {
          id: 'r',
          type: 'pattern',
          match: {
            keywords: ['x'],
            where: { hots: 'a', host: { regex: '(x|x)*' }, 'fields.user': {} },
          },
          except: [{}, { regex: '[' }],
          summary: 'On {{ hostname }}',
          labels: { severity: 'x', 'bad-name': 'y' },
          group_by: ['host', 'host', 'fields'],
        },
      ],
    });
    expect(brief(errs)).toEqual([
      'r labels.bad-name RULE.INVALID_NAME',
      'r labels.severity RULE.RESERVED',
      'r group_by[1] RULE.DUPLICATE',
      'r group_by[2] RULE.INVALID_FIELD_PATH',
      'r match.where.hots RULE.INVALID_FIELD_PATH',
      'r match.where.host.regex REGEX.OVERLAPPING_ALTERNATION',
      'r match.where.fields.user RULE.EMPTY_CONDITION',
      'r except[0] RULE.MATCHES_EVERYTHING',
      'r except[1].regex REGEX.SYNTAX',
      'r summary RULE.TEMPLATE',
    ]);
  });

  it('rejects a pattern rule that would match every line', () => {
    expect(brief(errorsOf({ rules: [{ id: 'all', type: 'pattern' }] }))).toEqual([
      'all match RULE.MATCHES_EVERYTHING',
    ]);
  });

  it('applies defaults and per-type resolve defaults', () => {
    const r = compileRuleSet({
      defaults: { severity: 'high', labels: { team: 'infra' } },
      rules: [
        { id: 'p', type: 'pattern', match: { keywords: ['x'] }, labels: { svc: 'a' } },
        {
          id: 'f',
          type: 'frequency',
          match: { keywords: ['x'] },
          threshold: 2,
          timeframe: '1m30s',
        },
      ],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const [p, f] = r.value.rules.map((x) => x.spec);
    expect([p!.severity, p!.labels, p!.resolveAfterMs, p!.realertMs, p!.name]).toEqual([
      'high',
      { team: 'infra', svc: 'a' },
      300_000,
      300_000,
      'p',
    ]);
    expect([f!.resolveAfterMs, f!.params]).toEqual([
      0,
      { type: 'frequency', threshold: 2, timeframeMs: 90_000 },
    ]);
  });

  it('parses durations strictly', () => {
    expect([
      parseDuration('250ms'),
      parseDuration('1h30m'),
      parseDuration('2d'),
      parseDuration('5'),
      parseDuration('1.5h'),
    ]).toEqual([250, 5_400_000, 172_800_000, null, null]);
  });
});

describe('rule loading and reload', () => {
  const good = `
rules:
  - id: oom
    type: pattern
    match: { regex: '(?i)out of memory' }
`;
  it('loads YAML and reports YAML syntax errors with a position', () => {
    expect(loadRulesYaml(good).ok).toBe(true);
    const bad = loadRulesYaml('rules:\n  - id: [unclosed\n');
    expect(bad.ok ? null : bad.errors[0]).toMatchObject({
      code: 'RULES.YAML',
      field: expect.stringMatching(/^line \d+, column \d+$/) as unknown,
    });
  });

  it('keeps the running rules when a new set is invalid', () => {
    const current = loadRulesYaml(good);
    if (!current.ok) throw new Error('fixture');
    const outcome = reloadRules(
      current.value,
      loadRulesYaml(good.replace('out of memory', '(a|a)*')),
    );
    expect(outcome.applied).toBe(false);
    expect(outcome.active).toBe(current.value);
    expect(outcome.errors.map((e) => e.code)).toEqual(['REGEX.OVERLAPPING_ALTERNATION']);
    const ok = reloadRules(current.value, loadRulesYaml(good.replace('oom', 'oom2')));
    expect([ok.applied, ok.active.rules[0]!.spec.id]).toEqual([true, 'oom2']);
  });

  it('ships a default rule set that loads and catches the classic critical lines', () => {
    const text = readFileSync(
      join(import.meta.dirname, '../../../../config/alert-rules.default.yaml'),
      'utf8',
    );
    const r = loadRulesYaml(text);
    if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 2));
    const { matcher, enabled } = r.value;
    const hits = (message: string, level: string | null = null): string[] => {
      const out: Array<{ ruleIndex: number }> = [];
      matcher.match(
        {
          line: { eventId: 'x', timestamp: 0, source: 's', message, level },
          message,
          truncated: false,
          levelUpper: level,
          levelRank: level === 'FATAL' ? 8 : level === 'ERROR' ? 5 : 2,
        },
        out as never,
      );
      return out.map((h) => enabled[h.ruleIndex]!.spec.id);
    };
    expect(hits('Out of memory: Killed process 4242 (java)')).toEqual(['out-of-memory']);
    expect(hits('oom_score_adj updated for pid 12 (out of memory guard)')).toEqual([]);
    expect(hits('Kernel panic - not syncing: Fatal exception')).toEqual(['kernel-panic']);
    expect(hits('app[12]: segfault at 0 ip 00007f sp 00007ff error 4')).toEqual(['segfault']);
    expect(hits('write /var/lib/x: No space left on device')).toEqual(['disk-full']);
    expect(hits('pam_unix(sshd:auth): authentication failure; rhost=1.2.3.4')).toEqual([
      'auth-failure-burst',
    ]);
    expect(hits('upstream connect error: Connection refused')).toEqual(['connection-error-burst']);
    expect(hits('shutting down', 'FATAL')).toEqual(['fatal-level', 'error-spike']);
    expect(hits('Exception in thread "main" java.lang.NullPointerException')).toEqual([
      'uncaught-exception',
    ]);
    expect(hits('payments.service: Main process exited, code=exited, status=1/FAILURE')).toEqual([
      'service-restart-flapping',
    ]);
    expect(hits('Accepted publickey for deploy from 10.0.0.7 port 5522 ssh2')).toEqual([
      'new-ssh-login-user',
    ]);
    expect(hits('GET /health 200 3ms')).toEqual([]);
    expect(r.value.rules.find((x) => x.spec.id === 'log-source-silent')?.spec.enabled).toBe(false);
  });
});
