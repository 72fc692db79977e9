import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileRuleSet, type CompiledRuleSet } from '../rules/rule-loader.js';

/** A rule as written in a rule file (YAML), before validation. */
export type RawRule = Record<string, unknown>;

/** Extra rules of the kinds teams add: service-specific keywords and regexes. */
const EXTRA_PATTERNS = [
  '(?i)circuit breaker (is )?open',
  'HTTP/1\\.[01]" 5\\d\\d ',
  '(?i)rate limit(ed)? exceeded',
  'Too many open files',
  '(?i)lock wait timeout',
  'GC overhead limit exceeded',
  '(?i)replica(tion)? lag',
  'SSL_ERROR_\\w+',
  'deadline exceeded',
  '(?i)heartbeat (missed|lost)',
  'leader election',
  '(?i)split.?brain',
  'checksum mismatch',
  'unable to resolve host',
  'certificate verify failed',
  'queue (is )?full',
  'dropping (messages|packets)',
  '(?i)kafka.*(rebalanc|coordinator)',
  'NullPointerException',
  'StackOverflowError',
  'ClassNotFoundException',
  'Permission denied',
  'Read-only file system',
  'nf_conntrack: table full',
];

/**
 * The 50 active rules both alerting benchmarks run (the engine micro-benchmark and
 * `npm run bench:alerts`): `first` (the benchmark's own rules), then the enabled default rules,
 * the loghub rule set and the extra patterns (every fourth a frequency rule), cut at 50 and
 * validated (and compiled once). `root` is the repository root.
 */
export function benchRuleSet(
  root: string,
  first: readonly RawRule[] = [],
): { rules: RawRule[]; compiled: CompiledRuleSet } {
  const load = (path: string): RawRule[] =>
    (parse(readFileSync(join(root, path), 'utf8')) as { rules: RawRule[] }).rules;
  const defaults = load('config/alert-rules.default.yaml').filter((r) => r['enabled'] !== false);
  const loghub = load('test/fixtures/loghub-rules.yaml');
  const extra: RawRule[] = EXTRA_PATTERNS.map((regex, i) => ({
    id: `extra-${i}`,
    type: i % 4 === 0 ? 'frequency' : 'pattern',
    ...(i % 4 === 0 ? { threshold: 5, timeframe: '1m' } : {}),
    match: { regex },
    group_by: ['source', 'host'],
  }));
  const rules = [...first, ...defaults, ...loghub, ...extra].slice(0, 50);
  const compiled = compileRuleSet({ rules });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors, null, 2));
  if (compiled.value.enabled.length !== 50)
    throw new Error(`expected 50 active rules, got ${compiled.value.enabled.length}`);
  return { rules, compiled: compiled.value };
}
