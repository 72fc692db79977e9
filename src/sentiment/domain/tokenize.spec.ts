import { tokenize, type Token } from './tokenize.js';

const kinds = (tokens: Token[]): string[] => tokens.map((t) => `${t.kind}:${t.norm}`);

describe('tokenize', () => {
  it('keeps URLs, e-mails, mentions and hashtags as single tokens', () => {
    const t = tokenize(
      'see https://ex.com/a?b=1, www.foo.org and bit.ly/x by @Bob_1 #LoveIt mail a.b@c.com',
    );
    expect(kinds(t)).toEqual([
      'word:see',
      'url:https://ex.com/a?b=1',
      'punct:,',
      'url:www.foo.org',
      'word:and',
      'url:bit.ly/x',
      'word:by',
      'mention:@bob_1',
      'hashtag:#loveit',
      'word:mail',
      'email:a.b@c.com',
    ]);
  });

  it('keeps emoticons, including reversed faces and hearts, and not clock times', () => {
    const t = tokenize('great :) :-( ;D <3 </3 xD (: meet at 10:30) ok');
    expect(t.filter((x) => x.kind === 'emoticon').map((x) => x.text)).toEqual([
      ':)',
      ':-(',
      ';D',
      '<3',
      '</3',
      'xD',
      '(:',
    ]);
    expect(t.find((x) => x.text === '10:30')?.kind).toBe('number');
  });

  it('keeps emoji sequences whole and normalises skin tones away', () => {
    const t = tokenize('nice 👍🏽 😍😍 👨‍👩‍👧 🇧🇷');
    const emoji = t.filter((x) => x.kind === 'emoji');
    expect(emoji.map((x) => x.text)).toEqual(['👍🏽', '😍', '😍', '👨‍👩‍👧', '🇧🇷']);
    expect(emoji[0]?.norm).toBe('👍');
  });

  it('splits and expands contractions, including tokenised and apostrophe-less forms', () => {
    expect(tokenize("I can't, won't and don't").map((x) => x.norm)).toEqual([
      'i',
      'can',
      'not',
      ',',
      'will',
      'not',
      'and',
      'do',
      'not',
    ]);
    expect(tokenize("it 's good , ca n't lose").map((x) => x.norm)).toEqual([
      'it',
      "'s",
      'good',
      ',',
      'can',
      'not',
      'lose',
    ]);
    expect(tokenize('dont cannot I’m they’ve').map((x) => x.norm)).toEqual([
      'do',
      'not',
      'can',
      'not',
      'i',
      'am',
      'they',
      'have',
    ]);
  });

  it('normalises case and elongation and flags caps and elongated words', () => {
    const [a, b, c] = tokenize('SOOOO gooood OK');
    expect(a).toMatchObject({ norm: 'soo', caps: true, elongated: true });
    expect(b).toMatchObject({ norm: 'good', caps: false, elongated: true });
    expect(c).toMatchObject({ norm: 'ok', caps: true, elongated: false });
  });

  it('groups runs of ! and ? and records offsets into the text', () => {
    const text = 'wow!!! really?!';
    const t = tokenize(text);
    expect(kinds(t)).toEqual(['word:wow', 'punct:!!!', 'word:really', 'punct:?!']);
    for (const tok of t) expect(text.slice(tok.start, tok.end)).toBe(tok.text);
  });

  it('handles Portuguese words with accents as single words', () => {
    expect(tokenize('Não é ótimo, é péssimo!').map((x) => x.norm)).toEqual([
      'não',
      'é',
      'ótimo',
      ',',
      'é',
      'péssimo',
      '!',
    ]);
  });
});
