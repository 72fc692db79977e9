import { type CommentSubmitted } from '../platform/schemas/generated.js';
import { type ClassifiedComment } from './comment-classifier.js';
import {
  analysisEventId,
  INVALID_COMMENT,
  languageFromHint,
  languageLabel,
  prepareComment,
  reportedLanguage,
  toAnalyzedEvent,
  UNKNOWN_SOURCE,
} from './comment-mapping.js';

const base: CommentSubmitted = {
  eventId: '3b241101-e2bb-4255-8caf-4136c566a962',
  commentId: 'c-1',
  source: 'app-store',
  author: null,
  text: 'I love it',
  languageHint: null,
  submittedAt: Date.UTC(2026, 10, 22, 10, 30, 15),
  metadata: {},
};

const classified: ClassifiedComment = {
  label: 'POSITIVE',
  score: 0.8,
  confidence: 0.9,
  language: 'en',
  languageConfidence: 1,
  drivers: ['love'],
  entities: {},
  tokenCount: 3,
  flags: ['HTML_STRIPPED'],
};

describe('prepareComment', () => {
  it('accepts a well-formed comment and asks for detection without a hint', () => {
    const p = prepareComment(base, 5000);
    expect(p).toMatchObject({
      ok: true,
      comment: { commentId: 'c-1', source: 'app-store', request: { text: 'I love it' }, flags: [] },
    });
    expect(p.ok && p.comment.request.language).toBeUndefined();
  });

  it.each([
    [{ commentId: '' }, 'commentId'],
    [{ commentId: '   ' }, 'commentId'],
    [{ commentId: 'x'.repeat(257) }, 'commentId'],
    [{ commentId: 'a\u0000b' }, 'commentId'],
    [{ commentId: 'a\uD800b' }, 'commentId'],
    [{ eventId: 'not-a-uuid' }, 'eventId'],
    [{ submittedAt: -1 }, 'submittedAt'],
    [{ submittedAt: 1e300 }, 'submittedAt'],
  ])('refuses %j: it cannot be keyed or stored (%s)', (patch, field) => {
    const p = prepareComment({ ...base, ...patch }, 5000);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.reasonCode).toBe(INVALID_COMMENT);
    expect(!p.ok && p.error).toContain(field);
  });

  it('never refuses bad text: empty, control characters and HTML go to the classifier', () => {
    for (const text of ['', '\u0001\u0002', '<b>hi</b>', '\uFFFD\uFFFD']) {
      expect(prepareComment({ ...base, text }, 5000).ok).toBe(true);
    }
  });

  it('cuts a huge text before it is copied to a worker, and flags it', () => {
    const p = prepareComment({ ...base, text: 'good '.repeat(100_000) }, 1000);
    expect(p.ok && p.comment.request.text.length).toBeLessThanOrEqual(4000);
    expect(p.ok && p.comment.flags).toContain('TRUNCATED');
  });

  it('does not split a surrogate pair when cutting', () => {
    const p = prepareComment({ ...base, text: `${'a'.repeat(63)}😀😀` }, 16);
    expect(p.ok && p.comment.request.text).toBe('a'.repeat(63));
  });

  it('normalises the source: empty → unknown, too long → cut, control characters removed', () => {
    const empty = prepareComment({ ...base, source: '  ' }, 5000);
    expect(empty.ok && empty.comment.source).toBe(UNKNOWN_SOURCE);
    expect(empty.ok && empty.comment.flags).toContain('SOURCE_MISSING');
    const long = prepareComment({ ...base, source: 's'.repeat(300) }, 5000);
    expect(long.ok && long.comment.source).toHaveLength(128);
    expect(long.ok && long.comment.flags).toContain('SOURCE_TRUNCATED');
    const ctl = prepareComment({ ...base, source: 'app\u0007store' }, 5000);
    expect(ctl.ok && ctl.comment.source).toBe('app store');
  });
});

describe('language hints', () => {
  it.each([
    ['en', 'en', 'en', false],
    ['PT-br', 'pt', 'pt', false],
    ['pt_PT', 'pt', 'pt', false],
    ['es', 'other', 'es', false],
    ['english', undefined, undefined, true],
    ['', undefined, undefined, false],
  ])('%j → analyse as %j, report %j (ignored: %j)', (hint, language, hinted, ignored) => {
    expect(languageFromHint(hint)).toEqual({ language, hintedLanguage: hinted, ignored });
  });

  it('flags an unusable hint', () => {
    const p = prepareComment({ ...base, languageHint: 'klingon' }, 5000);
    expect(p.ok && p.comment.flags).toContain('LANGUAGE_HINT_IGNORED');
  });

  it('reports ISO 639-1 codes, und when unknown, and bounds the metric label', () => {
    expect(reportedLanguage('pt', undefined)).toBe('pt');
    expect(reportedLanguage('other', 'es')).toBe('es');
    expect(reportedLanguage('other', undefined)).toBe('und');
    expect(languageLabel('es')).toBe('other');
    expect(languageLabel('und')).toBe('und');
  });
});

describe('analysis events', () => {
  it('derive the event id from commentId and model version only (UUID v5 shape)', () => {
    const a = analysisEventId('c-1', 'm-1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(analysisEventId('c-1', 'm-1')).toBe(a);
    // Pinned: a change here would make redeliveries publish a second distinct event id.
    expect(a).toBe('f1db5509-e337-5496-8750-67b1b106476b');
    expect(analysisEventId('c-1', 'm-2')).not.toBe(a);
    expect(analysisEventId('c-2', 'm-1')).not.toBe(a);
    // No ambiguity between id and version boundaries.
    expect(analysisEventId('ab', 'c')).not.toBe(analysisEventId('a', 'bc'));
  });

  it('carry every field of comment-analyzed, flags merged without duplicates', () => {
    const p = prepareComment({ ...base, source: '', text: 'x'.repeat(50) }, 10);
    if (!p.ok) throw new Error('expected ok');
    const event = toAnalyzedEvent(p.comment, { ...classified, flags: ['TRUNCATED'] }, 'm-1', 42);
    expect(event).toEqual({
      eventId: analysisEventId('c-1', 'm-1'),
      commentId: 'c-1',
      requestEventId: base.eventId,
      source: UNKNOWN_SOURCE,
      label: 'POSITIVE',
      score: 0.8,
      confidence: 0.9,
      language: 'en',
      modelVersion: 'm-1',
      drivers: ['love'],
      entities: {},
      tokenCount: 3,
      flags: ['SOURCE_MISSING', 'TRUNCATED'],
      submittedAt: base.submittedAt,
      analyzedAt: 42,
    });
  });
});
