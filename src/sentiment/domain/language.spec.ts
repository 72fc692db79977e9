import { detectLanguage } from './language.js';
import { tokenize } from './tokenize.js';

const detect = (text: string): ReturnType<typeof detectLanguage> => detectLanguage(tokenize(text));

describe('detectLanguage', () => {
  it('recognises English and Portuguese', () => {
    expect(detect('I really liked the movie, it was great').language).toBe('en');
    expect(detect('Eu gostei muito do filme, foi ótimo').language).toBe('pt');
    expect(detect('a atuação é fraca e o roteiro não ajuda').language).toBe('pt');
  });

  it('reports Spanish, French and German as other, not Portuguese', () => {
    expect(detect('Me encantó la película, es muy buena y divertida').language).toBe('other');
    expect(detect("C'est un film vraiment très beau").language).toBe('other');
    expect(detect('Der Film war sehr schön und nicht zu lang').language).toBe('other');
  });

  it('reports non-Latin scripts and text without letters as other', () => {
    expect(detect('この映画は素晴らしい').language).toBe('other');
    expect(detect('😍😍 10/10').language).toBe('other');
  });

  it('defaults letters without evidence to English with zero confidence', () => {
    expect(detect('Awesome phone!!')).toEqual({ language: 'en', confidence: 0 });
  });

  it('does not mistake English words with "nh"/"lle" for Portuguese or Spanish', () => {
    expect(detect('Excellent unhealthy meal').language).toBe('en');
  });
});
