import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { analyze } from './analyze.js';
import { ARTIFACT_FORMAT, loadModel, type SentimentModel } from './model.js';
import { DEFAULT_HYPERPARAMETERS, DEFAULT_NEUTRAL_POLICY } from './train.js';

const tinyModel = loadModel({
  format: ARTIFACT_FORMAT,
  formatVersion: 1,
  modelVersion: 'test-tiny',
  hyperParameters: DEFAULT_HYPERPARAMETERS,
  neutral: DEFAULT_NEUTRAL_POLICY,
  english: { bias: 0, ruleWeight: 3, weights: {} },
  ruleCalibration: { slope: 3, intercept: -0.2 },
  lexicons: { en: { love: 3.2, hate: -2.7 }, enPhrases: {}, pt: {}, ptPhrases: {}, emoji: {} },
  training: {},
});

/** Seeded generator of nasty strings: controls, lone surrogates, markup, emoji, long runs. */
function nastyStrings(count: number): string[] {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pieces = [
    '<b>',
    '&amp;',
    '&#0;',
    '\uD800',
    '\uDFFF',
    '\uFFFD',
    '\u0000',
    '😍',
    ':)',
    'não',
    "n't",
    '!!!',
    '\n',
    ' ',
    'love',
    '#',
    '@',
    'http://',
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const n = Math.floor(rand() * 40);
    for (let j = 0; j < n; j++) {
      s +=
        rand() < 0.5
          ? (pieces[Math.floor(rand() * pieces.length)] ?? '')
          : String.fromCharCode(Math.floor(rand() * 0xffff));
    }
    out.push(s);
  }
  return out;
}

describe('analyze: bad input is a result, never a throw', () => {
  it('survives random garbage with a valid result', () => {
    for (const s of nastyStrings(500)) {
      const a = analyze(tinyModel, s);
      expect(['positive', 'negative', 'neutral']).toContain(a.label);
      expect(a.score).toBeGreaterThanOrEqual(-1);
      expect(a.score).toBeLessThanOrEqual(1);
    }
  });

  it('returns a neutral zero for empty text', () => {
    const a = analyze(tinyModel, '');
    expect(a).toMatchObject({ label: 'neutral', score: 0, confidence: 0.5, tokens: [] });
    expect(a.input.issues).toEqual(['SENTIMENT.INPUT_EMPTY']);
  });

  it('tolerates non-string input from untyped callers', () => {
    const a = analyze(tinyModel, undefined as unknown as string);
    expect(a.label).toBe('neutral');
    expect(a.input.issues).toContain('SENTIMENT.INPUT_NOT_TEXT');
  });

  it('truncates huge text to maxChars and flags it', () => {
    const a = analyze(tinyModel, 'I love it. '.repeat(50_000), { maxChars: 1000 });
    expect(a.input.truncated).toBe(true);
    expect(a.input.text.length).toBeLessThanOrEqual(1000);
    expect(a.input.originalLength).toBe(550_000);
    expect(a.label).toBe('positive');
  });

  it('strips HTML before analysing', () => {
    const a = analyze(tinyModel, '<div class="x">I <em>hate</em> it&hellip;</div>');
    expect(a.input.text).toBe('I hate it…');
    expect(a.input.issues).toContain('SENTIMENT.INPUT_HTML');
    expect(a.label).toBe('negative');
  });
});

describe('analyze: pipeline output', () => {
  it('splits sentences and lists content terms without stop words', () => {
    const a = analyze(tinyModel, "I love the camera! The battery isn't great.\nWould buy again");
    expect(a.sentences.map((s) => s.text)).toEqual([
      'I love the camera!',
      "The battery isn't great.",
      'Would buy again',
    ]);
    expect(a.terms).toEqual(['love', 'camera', 'battery', 'not', 'great', 'buy']);
    expect(a.negationScopes).toHaveLength(1);
  });

  it('keeps the compromise parse off the hot path unless asked', () => {
    expect(analyze(tinyModel, 'Barack Obama visited Lisbon').linguistics).toBeUndefined();
  });

  it('extracts entities, lemmas and POS tags with compromise on request', () => {
    const a = analyze(
      tinyModel,
      'Barack Obama loved Lisbon, but the movies from Microsoft Corp. were boring. @bob #fail',
      { linguistics: true },
    );
    const l = a.linguistics;
    expect(l?.supported).toBe(true);
    expect(l?.entities.people).toEqual(['Barack Obama']);
    expect(l?.entities.places).toEqual(['Lisbon']);
    expect(l?.entities.organizations).toEqual(['Microsoft Corp']);
    expect(l?.sentences).toHaveLength(2);
    const loved = l?.terms.find((t) => t.text === 'loved');
    expect(loved).toMatchObject({ lemma: 'love', pos: 'Verb' });
    expect(l?.terms.find((t) => t.text === 'movies')?.lemma).toBe('movie');
    expect(l?.terms.find((t) => t.text === 'Lisbon')?.pos).toBe('Noun');
  });

  it('marks the compromise parse unsupported for non-English text', () => {
    const a = analyze(tinyModel, 'O Barack Obama gostou muito de Lisboa', { linguistics: true });
    expect(a.language).toBe('pt');
    expect(a.linguistics).toMatchObject({ supported: false, terms: [] });
  });
});

const current = path.join(process.cwd(), 'models', 'current.json');

describe('analyze with the shipped model', () => {
  let model: SentimentModel;
  beforeAll(() => {
    const { file } = JSON.parse(readFileSync(current, 'utf8')) as { file: string };
    model = loadModel(readFileSync(path.join(process.cwd(), 'models', file), 'utf8'));
  });

  it('has a shipped model', () => {
    expect(existsSync(current)).toBe(true);
  });

  it.each([
    ['I love this phone, the camera is amazing', 'positive', 'en'],
    ['This is not good at all. Total waste of money', 'negative', 'en'],
    ['Worst customer service ever :(', 'negative', 'en'],
    ['Este produto é excelente, recomendo muito!', 'positive', 'pt'],
    ['Não gostei, o atendimento foi péssimo', 'negative', 'pt'],
  ])('%s → %s', (text, label, language) => {
    const a = analyze(model, text);
    expect(a.label).toBe(label);
    expect(a.language).toBe(language);
    expect(a.modelVersion).toBe(model.version);
  });
});
