import { featurize } from './features.js';
import { findNegation } from './negation.js';
import { buildStemIndex, englishStem, scoreRules } from './rules.js';
import { tokenize } from './tokenize.js';
import { LANGUAGE_WORDS } from './word-lists.js';

describe('englishStem', () => {
  it('lets inflected and derived forms meet', () => {
    expect(englishStem('riveted')).toBe(englishStem('riveting'));
    expect(englishStem('predictably')).toBe(englishStem('predictable'));
    expect(englishStem('disappointingly')).toBe('disappoint');
  });

  it('keeps negative derivations apart', () => {
    expect(englishStem('charmless')).not.toBe(englishStem('charming'));
  });
});

describe('scoreRules stem fallback', () => {
  const words = new Map([
    ['riveting', 2.4],
    ['hated', -2.0],
  ]);
  const lexicon = { words, phrases: new Map<string, number>(), stems: buildStemIndex(words) };
  const score = (text: string): number => {
    const tokens = tokenize(text);
    return scoreRules(tokens, findNegation(tokens, 'en').negated, 'en', lexicon, new Map()).sum;
  };

  it('scores a form missing from the lexicon through its stem', () => {
    expect(score('I was riveted')).toBeCloseTo(2.4, 6);
  });

  it('does not match stems shorter than four letters', () => {
    expect(score('nice hats')).toBe(0);
  });
});

describe('featurize', () => {
  it('marks negated words, adds bigrams and placeholders', () => {
    const tokens = tokenize('not good. @bob http://x.co #fun');
    const { keys } = featurize(tokens, findNegation(tokens, 'en').negated, { bigrams: true });
    expect(keys).toEqual(
      expect.arrayContaining(['not', 'NOT_good', 'not good', '@USER', 'URL', '#fun', 'fun']),
    );
  });

  it('adds Porter-stemmed unigrams, negation-marked like their words', () => {
    const tokens = tokenize('Loved it, not disappointed. #fun');
    const negated = findNegation(tokens, 'en').negated;
    const added = featurize(tokens, negated, { bigrams: true, stems: 'add' });
    expect(added.keys).toEqual(
      expect.arrayContaining(['loved', '~love', 'NOT_disappointed', 'NOT_~disappoint', '#fun']),
    );
    expect(added.keys).toContain('loved it');
    // Each stem key is attributed to its word, for the drivers.
    expect(tokens[added.tokenOf[added.keys.indexOf('~love')] ?? -1]?.norm).toBe('loved');

    const replaced = featurize(tokens, negated, { bigrams: true, stems: 'replace' });
    expect(replaced.keys).toContain('~love');
    expect(replaced.keys).not.toContain('loved');
    expect(replaced.keys).toContain('loved it'); // bigrams keep the surface forms

    const off = featurize(tokens, negated, { bigrams: true });
    expect(off.keys.some((k) => k.includes('~'))).toBe(false);
  });

  it('weights features before and after "but" like the contrast rule', () => {
    const tokens = tokenize('good acting but boring plot');
    const f = featurize(tokens, new Uint8Array(tokens.length), {
      bigrams: false,
      contrast: { before: 0.5, after: 1.5, words: LANGUAGE_WORDS.en.contrast },
    });
    const value = (k: string): number | undefined => f.values[f.keys.indexOf(k)];
    expect(value('good')).toBe(0.5);
    expect(value('but')).toBe(1);
    expect(value('boring')).toBe(1.5);
  });
});
