/**
 * Fast single-pass tokenizer and normaliser for the classifier hot path.
 *
 * One regex with one alternative per token kind, tried in priority order, so URLs, e-mails,
 * mentions, hashtags, emoticons and emoji survive as single meaningful tokens instead of being
 * shredded into punctuation. English contractions are split and expanded ("don't" → do + not,
 * SST-style "ca n't" → can + not). It is ~20x cheaper than a full compromise parse; compromise
 * runs only when the caller asks for linguistics (POS, lemmas, entities).
 */

export type TokenKind =
  'word' | 'number' | 'emoji' | 'emoticon' | 'hashtag' | 'mention' | 'url' | 'email' | 'punct';

export interface Token {
  /** Surface text (for a split contraction, the piece: "do" / "n't"). */
  text: string;
  /**
   * Normalised term: lower case, letters repeated 3+ times squashed to 2, curly apostrophes
   * straightened, contractions expanded ("n't" → "not", "'re" → "are"), emoji without skin-tone
   * modifiers or variation selectors.
   */
  norm: string;
  kind: TokenKind;
  /** UTF-16 offsets [start, end) into the sanitised text. */
  start: number;
  end: number;
  /** ALL-CAPS word of 2+ letters ("GREAT"). */
  caps: boolean;
  /** Had a letter repeated 3+ times ("sooo"). */
  elongated: boolean;
}

const TLDS = 'com|org|net|io|ly|co|br|pt|uk|de|fr|es|it|us|me|tv|gov|edu|info|biz|gl|gd|be|to';

// Order matters: earlier alternatives win at the same position.
const TOKEN_RE = new RegExp(
  [
    // 1 url
    `((?:https?:\\/\\/|www\\.)[^\\s<>"']*[^\\s<>"'.,!?;:)\\]}]|(?<![\\p{L}\\p{N}@.])[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)*\\.(?:${TLDS})(?:\\/[^\\s<>"']*[^\\s<>"'.,!?;:)\\]}])?(?![\\p{L}\\p{N}]))`,
    // 2 email
    `([\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+)`,
    // 3 mention
    `((?<![\\p{L}\\p{N}_])@[\\p{L}\\p{N}_]{1,30})`,
    // 4 hashtag (needs a letter: "#1" is a number, not a tag)
    `((?<![\\p{L}\\p{N}_&])#[\\p{L}\\p{N}_]*\\p{L}[\\p{L}\\p{N}_]*)`,
    // 5 emoticon: western faces, reversed faces after a space, hearts, kaomoji-lite
    `((?<![\\p{L}\\p{N}:;=])(?:>?[:;=][-o*'’^]?[)\\](\\[dDpP/\\\\}{@|3oO0*$Ss]{1,3}(?![\\p{L}\\p{N}])|:['’][()]|<\\/?3+|\\^[_\\-.]?\\^|[xX]D+(?![\\p{L}\\p{N}])|-_-|[oO]_[oO]|T_T|;_;)|(?<=^|\\s)[(\\[][-']?[:;=](?=\\s|$)|(?<=^|\\s)\\)[-']?:(?=\\s|$))`,
    // 6 emoji: flags, keycaps, pictographs with skin tones / VS16 / ZWJ sequences
    `(\\p{Regional_Indicator}{2}|[#*0-9]\\uFE0F?\\u20E3|\\p{Extended_Pictographic}(?:\\uFE0F|[\\u{1F3FB}-\\u{1F3FF}])?(?:\\u200D\\p{Extended_Pictographic}(?:\\uFE0F|[\\u{1F3FB}-\\u{1F3FF}])?)*)`,
    // 7 word, with inner apostrophes; also a detached clitic ("n't", "'s") as in tokenised text
    `(\\p{L}[\\p{L}\\p{M}\\p{N}_]*(?:['’]\\p{L}[\\p{L}\\p{M}]*)*|['’](?:s|re|ve|ll|d|m|t)(?![\\p{L}]))`,
    // 8 number
    `(\\p{N}+(?:[.,:/]\\p{N}+)*(?:%|st|nd|rd|th)?)`,
    // 9 punctuation: runs of ! and ? stay together ("!!!"), ellipses, any other symbol
    `([!?]{2,}|[!?¡¿]|\\.{2,}|…|[^\\s\\p{L}\\p{N}])`,
  ].join('|'),
  'gu',
);

const KINDS: readonly TokenKind[] = [
  'url',
  'email',
  'mention',
  'hashtag',
  'emoticon',
  'emoji',
  'word',
  'number',
  'punct',
];

const ELONGATION_RE = /(\p{L})\1{2,}/gu;
const EMOJI_MODIFIERS_RE = /\uFE0F|[\u{1F3FB}-\u{1F3FF}]/gu;
const LETTER_RE = /\p{L}/u;

const CLITICS: Readonly<Record<string, string>> = {
  "n't": 'not',
  "'s": "'s",
  "'re": 'are',
  "'ve": 'have',
  "'ll": 'will',
  "'d": 'would',
  "'m": 'am',
  "'t": 'not',
};

/** Bases whose spelling changes before "n't": ca+n't = can not, wo+n't = will not. */
const NEGATED_BASES: Readonly<Record<string, string>> = {
  ca: 'can',
  wo: 'will',
  ai: 'is',
  sha: 'shall',
};

/** Apostrophe-less negative contractions common in tweets: "dont" → do + not. */
const BARE_NEGATIVES: ReadonlySet<string> = new Set([
  'dont',
  'didnt',
  'doesnt',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'cant',
  'couldnt',
  'wouldnt',
  'shouldnt',
  'wont',
  'havent',
  'hasnt',
  'hadnt',
  'aint',
  'mustnt',
  'neednt',
]);

function normaliseWord(text: string): { norm: string; elongated: boolean } {
  let norm = text.toLowerCase();
  if (norm.includes('’')) norm = norm.replace(/’/g, "'");
  const squashed = norm.replace(ELONGATION_RE, '$1$1');
  return { norm: squashed, elongated: squashed !== norm };
}

function isCaps(text: string): boolean {
  if (text.length < 2) return false;
  const upper = text.toUpperCase();
  return text === upper && text !== text.toLowerCase();
}

function push(
  out: Token[],
  text: string,
  norm: string,
  kind: TokenKind,
  start: number,
  caps: boolean,
  elongated: boolean,
): void {
  out.push({ text, norm, kind, start, end: start + text.length, caps, elongated });
}

/** Splits and expands English contractions; other words pass through. */
function pushWord(out: Token[], text: string, start: number): void {
  const caps = isCaps(text);
  const { norm, elongated } = normaliseWord(text);

  const clitic = CLITICS[norm];
  if (clitic !== undefined) {
    // A detached clitic ("n't" after "ca"): fix the previous base too.
    const prev = out[out.length - 1];
    if (clitic === 'not' && prev !== undefined && prev.kind === 'word') {
      const base = NEGATED_BASES[prev.norm];
      if (base !== undefined) prev.norm = base;
    }
    push(out, text, clitic, 'word', start, caps, elongated);
    return;
  }

  const apos = norm.lastIndexOf("'");
  if (apos > 0) {
    const tail = norm.slice(apos);
    const ntStart = tail === "'t" && norm[apos - 1] === 'n' ? apos - 1 : -1;
    const splitAt = ntStart > 0 ? ntStart : apos;
    const expansion = CLITICS[norm.slice(splitAt)];
    if (expansion !== undefined && splitAt > 0) {
      const baseNorm = norm.slice(0, splitAt);
      const base = expansion === 'not' ? (NEGATED_BASES[baseNorm] ?? baseNorm) : baseNorm;
      push(out, text.slice(0, splitAt), base, 'word', start, caps, elongated);
      push(out, text.slice(splitAt), expansion, 'word', start + splitAt, caps, false);
      return;
    }
  }

  if (norm === 'cannot') {
    push(out, text.slice(0, 3), 'can', 'word', start, caps, false);
    push(out, text.slice(3), 'not', 'word', start + 3, caps, false);
    return;
  }
  if (BARE_NEGATIVES.has(norm)) {
    const at = norm.length - 2;
    const baseNorm = norm.slice(0, at);
    push(out, text.slice(0, at), NEGATED_BASES[baseNorm] ?? baseNorm, 'word', start, caps, false);
    push(out, text.slice(at), 'not', 'word', start + at, caps, false);
    return;
  }
  push(out, text, norm, 'word', start, caps, elongated);
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  TOKEN_RE.lastIndex = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const start = m.index;
    const surface = m[0];
    let group = 1;
    while (group < m.length && m[group] === undefined) group += 1;
    const kind = KINDS[group - 1] ?? 'punct';
    switch (kind) {
      case 'word':
        pushWord(out, surface, start);
        break;
      case 'hashtag':
      case 'mention': {
        const { norm, elongated } = normaliseWord(surface);
        push(out, surface, norm, kind, start, false, elongated);
        break;
      }
      case 'emoji':
        push(out, surface, surface.replace(EMOJI_MODIFIERS_RE, ''), kind, start, false, false);
        break;
      case 'emoticon':
        push(out, surface, surface.replace('’', "'"), kind, start, false, false);
        break;
      case 'url':
      case 'email':
        push(out, surface, surface.toLowerCase(), kind, start, false, false);
        break;
      case 'punct':
        push(out, surface, surface, kind, start, false, false);
        break;
      case 'number':
        push(out, surface, surface, kind, start, false, false);
        break;
    }
  }
  return out;
}

/** True when the token carries letters (words and hashtags), the units negation applies to. */
export function isLexical(token: Token): boolean {
  return (token.kind === 'word' || token.kind === 'hashtag') && LETTER_RE.test(token.norm);
}

/** Clause-ending punctuation: negation scopes and contrast stop here. */
export function isClauseBoundary(token: Token): boolean {
  if (token.kind !== 'punct') return false;
  const c = token.norm[0];
  return (
    c === '.' ||
    c === ',' ||
    c === '!' ||
    c === '?' ||
    c === ';' ||
    c === ':' ||
    c === '…' ||
    c === '¡' ||
    c === '¿' ||
    c === '(' ||
    c === ')' ||
    c === '"' ||
    c === '–' ||
    c === '—'
  );
}

/** Sentence-ending punctuation, for the cheap sentence splitter. */
export function isSentenceEnd(token: Token): boolean {
  if (token.kind !== 'punct') return false;
  const c = token.norm[0];
  return c === '.' || c === '!' || c === '?' || c === '…';
}
