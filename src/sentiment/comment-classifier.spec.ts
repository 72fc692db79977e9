import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { ClassifierPool } from './classifier-pool.js';
import { classifyComment, isFailure, type ClassifiedComment } from './comment-classifier.js';
import { readModelArtifact } from './model-artifact.js';
import { DEFAULT_MODEL_PATH, loadSentimentConfig, repoRoot } from './sentiment.config.js';

const artifact = readModelArtifact(path.join(repoRoot(), DEFAULT_MODEL_PATH));
const options = { maxChars: 5000, entities: false };

function ok(text: string, language?: 'en' | 'pt'): ClassifiedComment {
  const r = classifyComment(artifact.model, language ? { text, language } : { text }, options);
  if (isFailure(r)) throw new Error(r.error);
  return r;
}

describe('classifyComment', () => {
  it('labels clear English and Portuguese comments and names the drivers', () => {
    const pos = ok('I absolutely love this app, it works great!');
    expect(pos).toMatchObject({ label: 'POSITIVE', language: 'en' });
    expect(pos.drivers.length).toBeGreaterThan(0);
    expect(ok('This is the worst update ever, totally broken.')).toMatchObject({
      label: 'NEGATIVE',
    });
    expect(ok('Adorei o atendimento, muito bom e rápido!')).toMatchObject({
      label: 'POSITIVE',
      language: 'pt',
    });
    expect(ok('Péssimo produto, não funciona e o suporte é horrível.')).toMatchObject({
      label: 'NEGATIVE',
      language: 'pt',
    });
  });

  it('turns bad input into flags, never an exception', () => {
    expect(ok('')).toMatchObject({ label: 'NEUTRAL', score: 0, tokenCount: 0, flags: ['EMPTY'] });
    expect(ok('<p>great <b>product</b></p>').flags).toContain('HTML_STRIPPED');
    expect(ok('good\u0000\u0007 stuff').flags).toContain('CONTROL_CHARS_REMOVED');
    expect(ok('ok \uFFFD\uFFFD fine \uD800').flags).toContain('INVALID_UNICODE_REPLACED');
    expect(ok('great '.repeat(5000)).flags).toContain('TRUNCATED');
  });

  it('extracts entities only when asked (English)', () => {
    const r = classifyComment(
      artifact.model,
      { text: 'Barack Obama loved Paris' },
      { maxChars: 5000, entities: true },
    );
    expect(!isFailure(r) && r.entities.people).toEqual(['Barack Obama']);
    expect(ok('Barack Obama loved Paris').entities).toEqual({});
  });
});

describe('ClassifierPool without a compiled worker (jest runs TypeScript)', () => {
  it('falls back to in-process classification and keeps the order', async () => {
    const pool = await ClassifierPool.start({
      model: artifact.model,
      artifact: artifact.text,
      workers: 2,
      classify: options,
      taskTimeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
    });
    expect(pool.mode).toBe('in-process');
    const texts = Array.from({ length: 450 }, (_, i) => (i % 2 === 0 ? 'I love it' : 'I hate it'));
    const results = await pool.classify(texts.map((text) => ({ text })));
    expect(results.map((r) => !isFailure(r) && r.label)).toEqual(
      texts.map((_, i) => (i % 2 === 0 ? 'POSITIVE' : 'NEGATIVE')),
    );
    expect(pool.stats()).toMatchObject({ mode: 'in-process', size: 0 });
    expect(pool.stats().busySeconds).toBeGreaterThan(0);
    await pool.close();
  });
});

describe('model artifact', () => {
  it('resolves the current.json pointer and checks its checksum and version', () => {
    const pointer = JSON.parse(readFileSync(path.join(repoRoot(), DEFAULT_MODEL_PATH), 'utf8')) as {
      modelVersion: string;
      sha256: string;
    };
    expect(artifact.model.version).toBe(pointer.modelVersion);
    expect(artifact.sha256).toBe(pointer.sha256);
  });

  it('fails fast naming SENTIMENT_MODEL when the file is missing', () => {
    expect(() => loadSentimentConfig({ SENTIMENT_MODEL: 'models/nope.json' })).toThrow(
      /SENTIMENT_MODEL/,
    );
    expect(() => readModelArtifact(path.join(repoRoot(), 'package.json'))).toThrow(
      /SENTIMENT_MODEL/,
    );
  });
});
