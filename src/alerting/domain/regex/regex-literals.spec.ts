import { seededLines } from '../testing/log-samples.js';
import { foldCase, requiredLiterals } from './regex-literals.js';
import { compileSafeRegex } from './regex-safety.js';

const literals = (pattern: string): string[] | null => {
  const r = compileSafeRegex(pattern);
  if (!r.ok) throw new Error(r.issues[0]!.message);
  return requiredLiterals(r.value.parsed.ast);
};

describe('requiredLiterals', () => {
  it.each([
    ['out of memory', ['out of memory']],
    ['(?i)Out Of Memory|OOM-killer', ['out of memory', 'oom-killer']],
    ['colou?r', ['color', 'colour']],
    ['[Ee]rror: (\\d+)', ['error: ']],
    ['kernel: (panic|Oops)', ['kernel: panic', 'kernel: oops']],
    [
      'Failed password for (invalid user )?\\S+ from',
      ['failed password for ', 'failed password for invalid user '],
    ],
    ['\\d+ms', ['ms']],
    ['timed? ?out', ['timeout', 'time out', 'timedout', 'timed out']],
  ])('%s -> %j', (pattern, expected) => {
    expect(literals(pattern)?.sort()).toEqual([...expected].sort());
  });

  it.each(['\\d{3}', '(\\d{1,3}\\.){3}\\d{1,3}', 'a|\\d+', '.+x', '[a-z]+'])(
    '%s has no usable literal',
    (pattern) => {
      expect(literals(pattern)).toBeNull();
    },
  );

  it('is sound: whenever the regex matches, one literal occurs (folded)', () => {
    const patterns = [
      '(?i)connection (refused|reset|timed out)',
      'Invalid user (?<u>\\S+) from',
      'PacketResponder \\d+ for block blk_-?\\d+ terminating',
      '(?i)error|warn(ing)?',
      'session (opened|closed) for user \\w+',
      'Accepted (password|publickey) for',
      'blk_(-)?\\d{3}',
      '(?i)s[ae]ssion',
    ];
    const lines = seededLines(3000, 42);
    let checked = 0;
    for (const p of patterns) {
      const r = compileSafeRegex(p);
      if (!r.ok) throw new Error(p);
      const lits = requiredLiterals(r.value.parsed.ast);
      expect(lits).not.toBeNull();
      for (const l of lines) {
        if (!r.value.regex.test(l)) continue;
        checked++;
        expect([p, lits!.some((x) => foldCase(l).includes(x))]).toEqual([p, true]);
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});
