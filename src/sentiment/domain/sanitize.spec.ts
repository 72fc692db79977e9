import { DEFAULT_MAX_CHARS, sanitizeText } from './sanitize.js';

describe('sanitizeText', () => {
  it('flags empty and whitespace-only input', () => {
    expect(sanitizeText('   \n\t ')).toMatchObject({ text: '', issues: ['SENTIMENT.INPUT_EMPTY'] });
  });

  it('turns non-strings into an empty text with a code instead of throwing', () => {
    for (const bad of [undefined, null, 42, {}, ['x']]) {
      const r = sanitizeText(bad);
      expect(r.text).toBe('');
      expect(r.issues).toContain('SENTIMENT.INPUT_NOT_TEXT');
    }
  });

  it('truncates huge text at the limit, on a word boundary, and says so', () => {
    const huge = 'lovely day '.repeat(100_000);
    const r = sanitizeText(huge);
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(r.text.length).toBeGreaterThan(DEFAULT_MAX_CHARS - 64);
    expect(r.text.endsWith('day') || r.text.endsWith('lovely')).toBe(true);
    expect(r.originalLength).toBe(huge.length);
    expect(r.issues).toContain('SENTIMENT.INPUT_TRUNCATED');
    expect(sanitizeText('abc def', 5)).toMatchObject({ text: 'abc', truncated: true });
  });

  it('never splits a surrogate pair when truncating', () => {
    const r = sanitizeText('😀😀😀', 3);
    expect(r.text).toBe('😀');
  });

  it('removes control characters and invisible bidi marks but keeps emoji joiners', () => {
    const r = sanitizeText('good\u0000 \u0007day\u202E 👨‍👩‍👧');
    expect(r.text).toBe('good day 👨‍👩‍👧');
    expect(r.issues).toContain('SENTIMENT.INPUT_CONTROL_CHARS');
  });

  it('replaces invalid UTF-8 replacement characters and lone surrogates', () => {
    const r = sanitizeText('bad\uFFFD\uFFFDbytes \uD800 here');
    expect(r.text).toBe('bad bytes here');
    expect(r.issues).toContain('SENTIMENT.INPUT_INVALID_UNICODE');
  });

  it('strips HTML tags, scripts and entities but keeps <3 hearts', () => {
    const r = sanitizeText('<p>Great&nbsp;&amp; cheap&#33;</p><script>alert(1)</script> I <3 it');
    expect(r.text).toBe('Great & cheap! I <3 it');
    expect(r.issues).toContain('SENTIMENT.INPUT_HTML');
    expect(sanitizeText('I <3 you').issues).toEqual([]);
  });
});
