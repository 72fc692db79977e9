import { type LogLine } from '../../../platform/schemas/generated.js';
import { compileRuleSet } from '../rules/rule-loader.js';
import { seededLines, seededRandom } from '../testing/log-samples.js';
import { type RuleHit } from './combined-matcher.js';
import { prepareLine } from './prepared-line.js';

/** 50 rules of every kind of filter, written the way users write them. */
function fiftyRules(): Array<Record<string, unknown>> {
  const rules: Array<Record<string, unknown>> = [
    { match: { regex: '(?i)out of memory|OutOfMemoryError' } },
    { match: { regex: 'Failed password for (invalid user )?(?<user>\\S+) from (?<ip>[\\d.]+)' } },
    { match: { keywords: ['authentication failure'], where: { source: 'linux' } } },
    { match: { keywords: ['session', 'root'], keywords_mode: 'all' } },
    { match: { keywords: ['ERROR'], case_sensitive: true } },
    { match: { level_at_least: 'ERROR' } },
    { match: { where: { source: ['hdfs', 'hadoop'], level: 'WARN' } } },
    { match: { regex: 'blk_-\\d+', where: { 'fields.component': { regex: 'DataNode' } } } },
    {
      match: { regex: '(?i)connection (refused|reset)' },
      except: [{ keywords: ['no further information'] }],
    },
    {
      match: {
        regex: 'Invalid user (?<user>\\w+)',
        where: { 'fields.user': { not_in: ['test'] } },
      },
    },
    { match: { regex: '\\d{3}' } },
    { match: { regex: '(\\d{1,3}\\.){3}\\d{1,3}', where: { host: { regex: '^node-[0-4]$' } } } },
    { match: { keywords: ['timed out', 'time out'] } },
    { match: { regex: 'EXT[234]-fs error' } },
    { match: { regex: '(?i)no space left|disk full' } },
    { match: { regex: 'SEGFAULT|segfault at' } },
    { match: { keywords: ['straße', 'İstanbul'] } },
    { match: { regex: '(?i)σίσυφος' } },
    {
      match: { regex: 'Accepted (password|publickey) for (?<u>\\S+)' },
      except: [{ regex: 'for (root|pi) ' }],
    },
    { match: { where: { 'fields.pid': { exists: true } }, keywords: ['closed'] } },
    { match: { where: { 'fields.pid': { exists: false } }, keywords: ['closed'] } },
    { match: { regex: 'PacketResponder \\d+ for block' } },
    { match: { regex: 'scoreboard slot \\d+$' } },
    { match: { regex: '^Received disconnect' } },
    {
      match: { keywords: ['preauth'] },
      except: [{ where: { host: 'node-1' } }, { level_at_least: 'ERROR' }],
    },
  ];
  const words = [
    'block',
    'user',
    'from',
    'port',
    'RM',
    'child',
    'queue',
    'error',
    'Connection',
    'Java',
  ];
  for (let i = rules.length; i < 50; i++) {
    const w = words[i % words.length]!;
    rules.push(
      i % 3 === 0
        ? { match: { regex: `(?i)${w}\\s+\\S+`, where: { level: { not_in: ['DEBUG'] } } } }
        : i % 3 === 1
          ? {
              match: {
                keywords: [w, `${w}s`],
                where: { source: ['openssh', 'hdfs', 'apache'][i % 3] },
              },
            }
          : { match: { regex: `${w}.*\\d+`, level_at_least: 'INFO' } },
    );
  }
  return rules.map((r, i) => ({ id: `r${i}`, type: 'pattern', ...r }));
}

function sampleLines(n: number): LogLine[] {
  const rnd = seededRandom(7);
  const sources = ['linux', 'hdfs', 'hadoop', 'openssh', 'apache'];
  const levels = [null, 'INFO', 'WARN', 'ERROR', 'FATAL', 'DEBUG', 'E'];
  return seededLines(n, 99).map((message, i) => {
    const fields: Record<string, string> =
      rnd() < 0.5 ? { pid: String(i), component: rnd() < 0.5 ? 'dfs.DataNode' : 'sshd' } : {};
    if (rnd() < 0.2) fields['user'] = 'test';
    return {
      eventId: `id-${i}`,
      timestamp: i,
      source: sources[Math.floor(rnd() * sources.length)]!,
      host: rnd() < 0.1 ? null : `node-${Math.floor(rnd() * 8)}`,
      level: levels[Math.floor(rnd() * levels.length)]!,
      message,
      fields,
    };
  });
}

describe('CombinedMatcher', () => {
  const res = compileRuleSet({ rules: fiftyRules() });
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  const matcher = res.value.matcher;

  it('builds one automaton and leaves only condition-only rules unfiltered', () => {
    const stats = matcher.stats;
    expect(stats.rules).toBe(50);
    expect(stats.literals).toBeGreaterThan(40);
    // r5 (level only), r6 (source+level), r10 (\d{3}), r11 (IPv4 shape) have no literal.
    expect(stats.unfiltered).toBe(5);
  });

  it('gives exactly the naive per-rule result (rules, order, captures) on loghub-like lines', () => {
    let hits = 0;
    for (const l of sampleLines(5000)) {
      const p = prepareLine(l);
      const fast: RuleHit[] = [];
      const naive: RuleHit[] = [];
      matcher.match(p, fast);
      matcher.matchNaive(p, naive);
      expect([l.message, fast]).toEqual([l.message, naive]);
      hits += fast.length;
    }
    expect(hits).toBeGreaterThan(5000);
  });

  it('applies exceptions, captures and conditions on captured fields', () => {
    const hit = (message: string, extra: Partial<LogLine> = {}): string[] => {
      const out: RuleHit[] = [];
      matcher.match(
        prepareLine({
          eventId: 'x',
          timestamp: 0,
          source: 'openssh',
          host: 'node-1',
          level: 'INFO',
          message,
          fields: {},
          ...extra,
        }),
        out,
      );
      return out.map(
        (h) => `r${h.ruleIndex}${Object.keys(h.captures).length ? JSON.stringify(h.captures) : ''}`,
      );
    };
    expect(hit('Failed password for bob from 1.2.3.4 port 22')).toContain(
      'r1{"user":"bob","ip":"1.2.3.4"}',
    );
    expect(
      hit('java.net.ConnectException: Connection refused: no further information'),
    ).not.toContain('r8');
    expect(hit('Connection refused')).toContain('r8');
    expect(hit('Invalid user test from 1.2.3.4')).not.toContain('r9{"user":"test"}');
    expect(hit('Invalid user bob from 1.2.3.4')).toContain('r9{"user":"bob"}');
    expect(hit('Accepted password for root from x')).not.toContain('r18{"u":"root"}');
    expect(hit('Accepted password for alice from x')).toContain('r18{"u":"alice"}');
    expect(hit('Connection closed by 1.2.3.4 [preauth]')).not.toContain('r24');
    expect(hit('Connection closed by 1.2.3.4 [preauth]', { host: 'node-2' })).toContain('r24');
  });

  it('tells from source, host, level and message bytes alone which lines cannot match, never wrongly', () => {
    // Without the two rules whose regex has no literal (they could match any message).
    const filtered = compileRuleSet({
      rules: fiftyRules().filter((r) => r['id'] !== 'r10' && r['id'] !== 'r11'),
    });
    if (!filtered.ok) throw new Error(JSON.stringify(filtered.errors));
    const cases: Array<[typeof matcher, string]> = [
      [matcher, 'all 50'],
      [filtered.value.matcher, 'filtered'],
    ];
    const lines = sampleLines(5000);
    lines.push({ ...lines[0]!, message: 'İstanbul straße timed out' });
    const skipped = new Map<string, number>();
    const outcomes: Array<[string, boolean | null, boolean | RuleHit[]]> = [];
    let nonAscii = 0;
    for (const [m, name] of cases) {
      for (const l of lines) {
        const bytes = Buffer.from(l.message);
        const header = prepareLine({ ...l, message: '', fields: {} });
        const may = m.mayMatchAscii(header, bytes, 0, bytes.length);
        const hits: RuleHit[] = [];
        m.match(prepareLine(l), hits);
        // null only for a message that is not ASCII; false only when nothing matches.
        outcomes.push([l.message, may, may === null ? bytes.length > l.message.length : hits]);
        if (may === null) nonAscii++;
        if (may === false) skipped.set(name, (skipped.get(name) ?? 0) + 1);
      }
    }
    expect(
      outcomes.filter(([, may, check]) =>
        may === null ? check !== true : may === false && (check as RuleHit[]).length > 0,
      ),
    ).toEqual([]);
    // A rule that can match any message (\d{3}) keeps every line; without it many are skipped.
    expect(skipped.get('all 50')).toBeUndefined();
    expect(skipped.get('filtered')).toBeGreaterThan(100);
    expect(nonAscii).toBeGreaterThanOrEqual(2);
  });

  it('matches keywords only in the kept part of a truncated line', () => {
    const out: RuleHit[] = [];
    const long = `${'x'.repeat(100)} out of memory`;
    matcher.match(prepareLine({ eventId: 'x', timestamp: 0, source: 's', message: long }, 50), out);
    expect(out.map((h) => h.ruleIndex)).not.toContain(0);
    expect(
      prepareLine({ eventId: 'x', timestamp: 0, source: 's', message: long }, 50).truncated,
    ).toBe(true);
  });
});
