import { analyze } from './analyze.js';
import { loadModel, ModelLoadError } from './model.js';
import {
  DEFAULT_HYPERPARAMETERS,
  trainModel,
  type LexiconData,
  type TrainingExample,
} from './train.js';

const LEXICONS: LexiconData = {
  en: { good: 1.9, bad: -2.5 },
  enPhrases: {},
  pt: {},
  ptPhrases: {},
  emoji: {},
};

const EXAMPLES: TrainingExample[] = [
  { text: 'I love this phone', label: 1 },
  { text: 'love the screen', label: 1 },
  { text: 'really love it, works great', label: 1 },
  { text: 'excellent value, love it', label: 1 },
  { text: 'good sound and love the case', label: 1 },
  { text: 'excellent battery', label: 1 },
  { text: 'I hate this phone', label: 0 },
  { text: 'hate the screen', label: 0 },
  { text: 'broken after a day, hate it', label: 0 },
  { text: 'awful value, hate it', label: 0 },
  { text: 'bad sound and I hate the case', label: 0, weight: 2 },
  { text: 'awful battery', label: 0 },
];

const HYPER = { ...DEFAULT_HYPERPARAMETERS, l2: 1e-3, minDf: 1, pruneBelow: 0 };

describe('trainModel', () => {
  it('is deterministic: the same data gives the same artifact bytes', () => {
    const a = JSON.stringify(trainModel(EXAMPLES, LEXICONS, HYPER, { modelVersion: 't' }));
    const b = JSON.stringify(trainModel([...EXAMPLES], LEXICONS, HYPER, { modelVersion: 't' }));
    expect(a).toBe(b);
  });

  it('learns word weights with the right sign and a positive rule weight', () => {
    const artifact = trainModel(EXAMPLES, LEXICONS, HYPER, { modelVersion: 't' });
    expect(artifact.english.weights.love).toBeGreaterThan(0);
    expect(artifact.english.weights.hate).toBeLessThan(0);
    expect(artifact.english.weights.awful).toBeLessThan(0);
    expect(artifact.english.ruleWeight).toBeGreaterThan(0);
    const keys = Object.keys(artifact.english.weights);
    expect(keys).toEqual([...keys].sort());
  });

  it('produces an artifact that loads and classifies', () => {
    const model = loadModel(trainModel(EXAMPLES, LEXICONS, HYPER, { modelVersion: 'tiny-1' }));
    expect(model.version).toBe('tiny-1');
    expect(analyze(model, 'I love the battery', { language: 'en' }).score).toBeGreaterThan(0);
    expect(analyze(model, 'I hate the battery', { language: 'en' }).score).toBeLessThan(0);
  });

  it('trains and serves stemmed unigrams when asked', () => {
    const artifact = trainModel(
      [...EXAMPLES, { text: 'loved it', label: 1 }, { text: 'hated it', label: 0 }],
      LEXICONS,
      { ...HYPER, stems: 'add' },
      { modelVersion: 't' },
    );
    expect(artifact.hyperParameters.stems).toBe('add');
    expect(artifact.english.weights['~love']).toBeGreaterThan(0);
    expect(artifact.english.weights['~hate']).toBeLessThan(0);
    const model = loadModel(artifact);
    expect(model.featureOptions.stems).toBe('add');
    // "loving" is unseen; its stem is not.
    expect(analyze(model, 'loving the case', { language: 'en' }).score).toBeGreaterThan(0);
  });

  it('trains the embedding block and serves it folded into one scalar per word', () => {
    // Two-dimensional toy vectors: dimension 0 is "liking", dimension 1 is "disliking".
    const vector = (x: number, y: number): Float32Array => Float32Array.from([x, y]);
    const table = {
      dimensions: 2,
      vectors: new Map([
        ['love', vector(1, 0)],
        ['excellent', vector(0.9, 0.1)],
        ['hate', vector(0, 1)],
        ['awful', vector(0.1, 0.9)],
        ['phone', vector(0.5, 0.5)],
        // Never seen in training: only their vectors can score them.
        ['wonderful', vector(0.95, 0.05)],
        ['dreadful', vector(0.05, 0.95)],
      ]),
    };
    const artifact = trainModel(
      EXAMPLES,
      LEXICONS,
      { ...HYPER, embedding: 'flip' },
      { modelVersion: 't' },
      table,
    );
    const scores = artifact.english.wordScores ?? {};
    expect(Object.keys(scores).sort()).toEqual([...table.vectors.keys()].sort());
    expect(scores.wonderful).toBeGreaterThan(0);
    expect(scores.dreadful).toBeLessThan(0);
    const model = loadModel(artifact);
    const score = (text: string): number => analyze(model, text, { language: 'en' }).score;
    expect(score('wonderful')).toBeGreaterThan(score('dreadful'));
    // 'flip': inside a negation scope the word's scalar counts negated.
    expect(score('not wonderful')).toBeLessThan(score('wonderful'));
    // Without the table, an embedding model cannot be trained; without its scores, not loaded.
    expect(() =>
      trainModel(EXAMPLES, LEXICONS, { ...HYPER, embedding: 'plain' }, { modelVersion: 't' }),
    ).toThrow(/embedding/);
    const { wordScores: _scores, ...english } = artifact.english;
    expect(() => loadModel({ ...artifact, english })).toThrow(ModelLoadError);
  });

  it('prunes small weights', () => {
    const pruned = trainModel(
      EXAMPLES,
      LEXICONS,
      { ...HYPER, pruneBelow: 0.2 },
      { modelVersion: 't' },
    );
    expect(Object.values(pruned.english.weights).every((w) => Math.abs(w) >= 0.2)).toBe(true);
  });
});

describe('loadModel', () => {
  const valid = trainModel(EXAMPLES, LEXICONS, HYPER, { modelVersion: 't' });

  it('accepts the artifact as JSON text too', () => {
    expect(loadModel(JSON.stringify(valid)).version).toBe('t');
  });

  it('loads artifacts written before stemmed unigrams existed as stems off', () => {
    const { stems: _stems, ...older } = valid.hyperParameters;
    const model = loadModel({ ...valid, hyperParameters: older });
    expect(model.hyperParameters.stems).toBe('off');
    expect(model.featureOptions.stems).toBeUndefined();
  });

  it('rejects malformed artifacts with a stable code', () => {
    const bad = [
      'not json',
      { ...valid, format: 'other' },
      { ...valid, formatVersion: 99 },
      { ...valid, english: { ...valid.english, weights: { x: 'nope' } } },
      { ...valid, english: { ...valid.english, bias: Number.NaN } },
    ];
    for (const artifact of bad) {
      expect(() => loadModel(artifact)).toThrow(ModelLoadError);
    }
    let caught: unknown;
    try {
      loadModel({});
    } catch (err: unknown) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ModelLoadError);
    expect((caught as ModelLoadError).code).toBe('SENTIMENT.MODEL_INVALID');
  });
});
