import { compileSafeRegex, splitInlineFlags } from './regex-safety.js';

const codes = (pattern: string, flags = ''): string[] => {
  const r = compileSafeRegex(pattern, flags);
  return r.ok ? [] : r.issues.map((i) => i.code);
};

describe('compileSafeRegex: catastrophic backtracking is rejected', () => {
  it.each([
    ['(a+)+$', 'REGEX.NESTED_QUANTIFIER'],
    ['^(\\w+\\s?)*$', 'REGEX.NESTED_QUANTIFIER'],
    ['(x+x+)+y', 'REGEX.NESTED_QUANTIFIER'],
    ['(?:a*)*b', 'REGEX.NESTED_QUANTIFIER'],
    ['(a?){25}a{25}', 'REGEX.NESTED_QUANTIFIER'],
    ['(\\d+){2}', 'REGEX.NESTED_QUANTIFIER'],
    ['(a|a)*b', 'REGEX.OVERLAPPING_ALTERNATION'],
    ['(a|ab)*c', 'REGEX.OVERLAPPING_ALTERNATION'],
    ['(\\w|\\d)+!', 'REGEX.OVERLAPPING_ALTERNATION'],
    ['(|x)*y', 'REGEX.OVERLAPPING_ALTERNATION'],
    ['(.)\\1', 'REGEX.BACKREFERENCE'],
    ['(?<q>[\'"]).*\\k<q>', 'REGEX.BACKREFERENCE'],
    ['a.*b.*c', 'REGEX.ADJACENT_QUANTIFIERS'],
    ['\\w+\\s*\\w+:', 'REGEX.ADJACENT_QUANTIFIERS'],
    ['x\\d+\\d+y', 'REGEX.ADJACENT_QUANTIFIERS'],
    ['(?=.*a)b', 'REGEX.LOOKAROUND_QUANTIFIER'],
    ['a{1,5000}', 'REGEX.REPETITION_TOO_LARGE'],
    ['x*', 'REGEX.EMPTY_MATCH'],
    ['(unclosed', 'REGEX.SYNTAX'],
    ['a(?i)b', 'REGEX.SYNTAX'],
  ])('%s -> %s', (pattern, code) => {
    expect(codes(pattern)).toContain(code);
  });

  it('rejects stateful or unknown flags and over-long patterns', () => {
    expect(codes('abc', 'g')).toEqual(['REGEX.FLAGS']);
    expect(codes('abc', 'y')).toEqual(['REGEX.FLAGS']);
    expect(codes('a'.repeat(2000))).toEqual(['REGEX.TOO_LONG']);
  });
});

describe('compileSafeRegex: ordinary log patterns are accepted', () => {
  it.each([
    '(?i)out of memory|oom-killer|OutOfMemoryError',
    'Failed password for (invalid user )?(?<user>\\S+) from (?<ip>[\\d.]+) port \\d+',
    '(\\d{1,3}\\.){3}\\d{1,3}',
    'error.*timeout',
    '.*error.*timeout',
    '^(\\w+)\\s*=\\s*(.*)$',
    '(GET|POST|PUT|DELETE) /api/\\S+ HTTP/1\\.[01]" 5\\d\\d',
    'segfault at [0-9a-f]+ ip [0-9a-f]+',
    'EXT[234]-fs error',
    'took (\\d+)ms',
    '\\d+\\d+',
    'a[^b]*b.*c',
    '(?<!foo)bar',
    '\\p{Lu}+ failed',
  ])('%s', (pattern) => {
    const flags = pattern.includes('\\p{') ? 'u' : '';
    expect(codes(pattern, flags)).toEqual([]);
  });

  it('reads leading inline flags and reports named groups', () => {
    expect(splitInlineFlags('(?is)abc')).toEqual({ source: 'abc', flags: 'is' });
    const r = compileSafeRegex('(?i)user (?<name>\\w+)');
    expect(r.ok && r.value.regex.flags).toBe('i');
    expect(r.ok && r.value.groupNames).toEqual(['name']);
    expect(r.ok && r.value.regex.test('USER bob')).toBe(true);
  });

  it('drops a leading .* without changing what matches', () => {
    const r = compileSafeRegex('.*fail(ed)?');
    expect(r.ok && r.value.regex.source).toBe('fail(ed)?');
  });
});
