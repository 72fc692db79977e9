import { analyze } from './analyze.js';
import { ARTIFACT_FORMAT, loadModel, type ModelArtifact, type SentimentModel } from './model.js';
import { ptKey } from './pt-normalize.js';
import { DEFAULT_HYPERPARAMETERS, DEFAULT_NEUTRAL_POLICY } from './train.js';

/**
 * A hand-made model with no trained weights: the score is the rules alone (log-odds = 3 ·
 * compound), so every rule's effect is visible and exact.
 */
function rulesArtifact(weights: Record<string, number> = {}): ModelArtifact {
  const pt = (w: string): string => ptKey(w).key;
  return {
    format: ARTIFACT_FORMAT,
    formatVersion: 1,
    modelVersion: 'test-rules',
    hyperParameters: { ...DEFAULT_HYPERPARAMETERS, contrastFeatures: true },
    neutral: DEFAULT_NEUTRAL_POLICY,
    english: { bias: 0, ruleWeight: 3, weights },
    ruleCalibration: { slope: 3, intercept: 0 },
    lexicons: {
      en: { good: 1.9, great: 3.1, bad: -2.5, terrible: -2.1, boring: -1.3, love: 3.2, meh: 0.3 },
      enPhrases: { 'kind of': 0 },
      pt: { [pt('bom')]: 1.9, [pt('ruim')]: -2.5, [pt('chato')]: -2.0, [pt('graça')]: 1.5 },
      ptPhrases: { [`${pt('sem')} ${pt('graça')}`]: -2.0 },
      emoji: { '😍': 2.4, ':)': 2.0, ':(': -1.9 },
    },
    training: {},
  };
}

describe('classifier rules (hand-made rules-only model)', () => {
  let model: SentimentModel;
  const score = (text: string): number => analyze(model, text, { language: 'en' }).score;
  beforeAll(() => {
    model = loadModel(rulesArtifact());
  });

  it('negation flips polarity', () => {
    expect(score('the movie is good')).toBeGreaterThan(0);
    expect(score('the movie is not good')).toBeLessThan(0);
    expect(score("the movie isn't bad")).toBeGreaterThan(0);
  });

  it('intensifiers raise and dampeners lower the strength', () => {
    const plain = score('the movie is good');
    expect(score('the movie is very good')).toBeGreaterThan(plain);
    expect(score('the movie is somewhat good')).toBeLessThan(plain);
    expect(score('the movie is somewhat good')).toBeGreaterThan(0);
    expect(score('the movie is extremely bad')).toBeLessThan(score('the movie is bad'));
  });

  it('"but" makes the second clause outweigh the first', () => {
    expect(score('the acting is good but the plot is boring')).toBeLessThan(0);
    expect(score('the plot is boring but the acting is good')).toBeGreaterThan(0);
  });

  it('a clause conceded with "although" counts less', () => {
    expect(score('although the acting is good, the plot is boring')).toBeLessThan(
      score('the acting is good, the plot is boring'),
    );
    expect(score('although the plot is boring, the acting is good')).toBeGreaterThan(0);
  });

  it('ALL-CAPS emphasis counts only when the whole text is not shouted', () => {
    expect(score('the movie is GOOD')).toBeGreaterThan(score('the movie is good'));
    expect(score('THE MOVIE IS GOOD')).toBeCloseTo(score('the movie is good'), 6);
  });

  it('exclamation marks amplify, up to four', () => {
    expect(score('good!!!')).toBeGreaterThan(score('good!'));
    expect(score('good!')).toBeGreaterThan(score('good'));
    expect(score('good!!!!!!!!')).toBeCloseTo(score('good!!!!'), 6);
    expect(score('bad!!!')).toBeLessThan(score('bad'));
  });

  it('scores emoji and emoticons, and does not negate them', () => {
    expect(score('😍')).toBeGreaterThan(0);
    expect(score('today :(')).toBeLessThan(0);
    expect(score('not 😍')).toBeGreaterThan(0);
  });

  it('handles "kind of" as a hedge, not the adjective "kind"', () => {
    expect(analyze(model, 'it was kind of', { language: 'en' }).label).toBe('neutral');
  });

  it('labels text without sentiment-bearing tokens neutral', () => {
    const a = analyze(model, 'the table is brown', { language: 'en' });
    expect(a.label).toBe('neutral');
    expect(a.neutralReason).toBe('NO_SENTIMENT_TOKENS');
  });

  it('labels weak evidence neutral (low confidence) while keeping the sign of the score', () => {
    const a = analyze(model, 'meh', { language: 'en' });
    expect(a.label).toBe('neutral');
    expect(a.neutralReason).toBe('LOW_CONFIDENCE');
    expect(a.score).toBeGreaterThan(0);
  });

  it('reports the tokens that drove the decision', () => {
    const a = analyze(model, 'good cast but a terrible ending', { language: 'en' });
    expect(a.label).toBe('negative');
    expect(a.drivers[0]?.norm).toBe('terrible');
    expect(a.drivers.every((d) => d.weight < 0)).toBe(true);
    expect(a.confidence).toBeGreaterThan(0.5);
    expect(a.score).toBeGreaterThanOrEqual(-1);
  });

  it('adds trained sparse weights to the rules (the hybrid)', () => {
    const hybrid = loadModel(rulesArtifact({ plot: -2 }));
    expect(analyze(hybrid, 'the plot', { language: 'en' }).score).toBeLessThan(0);
    expect(analyze(hybrid, 'the plot', { language: 'en' }).drivers[0]?.norm).toBe('plot');
  });

  it('applies Portuguese lexicon, negation, intensifiers and phrases', () => {
    const pt = (text: string): number => analyze(model, text).score;
    expect(analyze(model, 'o filme é bom').language).toBe('pt');
    expect(pt('o filme é bom')).toBeGreaterThan(0);
    expect(pt('o filme não é bom')).toBeLessThan(0);
    expect(pt('o filme é muito bom')).toBeGreaterThan(pt('o filme é bom'));
    expect(pt('as atrizes são chatas')).toBeLessThan(0);
    expect(pt('é ruim mas o final é bom')).toBeGreaterThan(0);
    expect(pt('um filme sem graça')).toBeLessThan(0);
    expect(analyze(model, 'o filme é bom').method).toBe('rules');
  });

  it('scores only emoji in other languages', () => {
    expect(analyze(model, 'Me encantó la película, es muy buena').label).toBe('neutral');
    expect(analyze(model, 'Me encantó la película 😍').label).toBe('positive');
  });
});
