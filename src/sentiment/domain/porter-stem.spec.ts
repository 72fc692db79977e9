import { porterStem } from './porter-stem.js';

describe('porterStem', () => {
  it('follows Porter (1980) on the examples of the paper', () => {
    const cases: [string, string][] = [
      ['caresses', 'caress'],
      ['ponies', 'poni'],
      ['cats', 'cat'],
      ['agreed', 'agre'],
      ['plastered', 'plaster'],
      ['motoring', 'motor'],
      ['sing', 'sing'],
      ['hopping', 'hop'],
      ['falling', 'fall'],
      ['filing', 'file'],
      ['happy', 'happi'],
      ['relational', 'relat'],
      ['hopefulness', 'hope'],
      ['goodness', 'good'],
      ['replacement', 'replac'],
      ['adoption', 'adopt'],
      ['effective', 'effect'],
      ['controll', 'control'],
      ['roll', 'roll'],
    ];
    for (const [word, stem] of cases) expect([word, porterStem(word)]).toEqual([word, stem]);
  });

  it('lets inflections of a sentiment word meet', () => {
    expect(new Set(['love', 'loved', 'loving', 'loves'].map(porterStem))).toEqual(
      new Set(['love']),
    );
    expect(new Set(['disappointing', 'disappointed', 'disappointment'].map(porterStem))).toEqual(
      new Set(['disappoint']),
    );
  });

  it('treats an initial y as a consonant', () => {
    expect(porterStem('yelling')).toBe('yell');
    expect(porterStem('youth')).toBe('youth');
  });

  it('leaves short, non-ASCII and non-word input unchanged', () => {
    for (const w of ['is', 'não', 'café', "it's", 'x2', '', 'GOOD']) expect(porterStem(w)).toBe(w);
  });
});
