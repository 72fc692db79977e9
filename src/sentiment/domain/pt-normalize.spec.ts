import { foldAccents, ptKey } from './pt-normalize.js';

describe('ptKey', () => {
  it('folds accents', () => {
    expect(foldAccents('péssimo')).toBe('pessimo');
    expect(foldAccents('ação')).toBe('acao');
  });

  it('maps gender and number variants to one key', () => {
    const key = ptKey('chato').key;
    for (const w of ['chata', 'chatos', 'chatas', 'CHATA']) expect(ptKey(w).key).toBe(key);
    expect(ptKey('horríveis').key).toBe(ptKey('horrível').key);
    expect(ptKey('emoções').key).toBe(ptKey('emoção').key);
    expect(ptKey('encantadora').key).toBe(ptKey('encantador').key);
  });

  it('maps -mente adverbs and -íssimo superlatives to the adjective', () => {
    expect(ptKey('terrivelmente').key).toBe(ptKey('terrível').key);
    expect(ptKey('lindíssima')).toEqual({ key: ptKey('lindo').key, superlative: true });
  });
});
