import { findNegation } from './negation.js';
import { tokenize } from './tokenize.js';

function negatedWords(text: string, language: 'en' | 'pt' = 'en', window = 4): string[] {
  const tokens = tokenize(text);
  const { negated } = findNegation(tokens, language, window);
  return tokens.filter((_, i) => negated[i] === 1).map((t) => t.norm);
}

describe('findNegation', () => {
  it('opens a scope after a cue and closes it at punctuation', () => {
    expect(negatedWords('this is not good, it is great')).toEqual(['good']);
    expect(negatedWords("I didn't like the plot. Nice cast")).toEqual(['like', 'the', 'plot']);
  });

  it('closes the scope at a contrast word and after the word window', () => {
    expect(negatedWords('not funny but clever')).toEqual(['funny']);
    expect(negatedWords('never have i seen such a fine film', 'en', 3)).toEqual([
      'have',
      'i',
      'seen',
    ]);
  });

  it('reports scopes as token ranges with their cue', () => {
    const tokens = tokenize('no problem at all');
    expect(findNegation(tokens, 'en').scopes).toEqual([{ cue: 0, start: 1, end: 4 }]);
  });

  it('does not treat "not only" as a negation', () => {
    expect(negatedWords('not only funny but also smart')).toEqual([]);
  });

  it('handles Portuguese cues', () => {
    expect(negatedWords('não é bom, mas é barato', 'pt')).toEqual(['é', 'bom']);
    expect(negatedWords('filme sem graça', 'pt')).toEqual(['graça']);
  });
});
