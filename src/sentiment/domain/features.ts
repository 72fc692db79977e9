import { porterStem } from './porter-stem.js';
import { isClauseBoundary, isLexical, type Token } from './tokenize.js';

/** Prefix of a word inside a negation scope: "not good" yields "NOT_good" (Das & Chen 2001). */
export const NEGATED_PREFIX = 'NOT_';

/** Prefix of a stemmed unigram: "loved" yields "~love" (no token's key starts with "~"). */
export const STEM_PREFIX = '~';

/**
 * Stemmed unigrams: 'off' (surface forms only), 'add' (each word also as its Porter stem, so
 * "loved", "loving" and "loves" share a "~love" weight) or 'replace' (words only as stems).
 */
export type StemMode = 'off' | 'add' | 'replace';

export interface FeatureOptions {
  /** Add adjacent-word bigrams (within a clause). */
  bigrams: boolean;
  /** Stemmed unigrams of words (default 'off'); bigrams keep the surface forms. */
  stems?: StemMode;
  /**
   * "But"-contrast on the sparse features too: features before the first contrast word count
   * `before`, after it `after` (VADER's 0.5 / 1.5); 1 / 1 disables it.
   */
  contrast?: { before: number; after: number; words: ReadonlySet<string> };
}

export interface FeatureSet {
  /** Distinct feature keys of the document. */
  keys: string[];
  /** Feature values (1 unless contrast scaling applies), parallel to keys. */
  values: number[];
  /** For each key, the token it is attributed to (a bigram's second word). */
  tokenOf: number[];
}

/** The unigram key of a token, or undefined for tokens that carry no signal (",", "."). */
function unigram(t: Token): string | undefined {
  switch (t.kind) {
    case 'word':
      return t.norm;
    case 'hashtag':
      return t.norm;
    case 'mention':
      return '@USER';
    case 'url':
      return 'URL';
    case 'email':
      return 'EMAIL';
    case 'number':
      return 'NUM';
    case 'emoji':
    case 'emoticon':
      return t.norm;
    case 'punct': {
      const c = t.norm[0];
      if (c === '!') return t.norm.length > 1 ? '!!' : '!';
      if (c === '?') return t.norm.length > 1 ? '??' : '?';
      if (t.norm === '...' || t.norm === '…') return '...';
      return undefined;
    }
  }
}

/**
 * Sparse binary features of normalised tokens, identical at training and inference time:
 * unigrams (negation-marked inside scopes), optionally their Porter stems, hashtags also as
 * their bare word, and bigrams of adjacent words within a clause. Mentions, URLs and numbers
 * collapse to placeholders: names do not generalise, their presence sometimes does. Stems pool
 * the evidence of a word's inflections ("loved", "loving"), which helps most on words that are
 * rare in the training domain but common in another.
 */
export function featurize(
  tokens: readonly Token[],
  negated: Uint8Array,
  options: FeatureOptions,
): FeatureSet {
  const seen = new Map<string, number>();
  const keys: string[] = [];
  const values: number[] = [];
  const tokenOf: number[] = [];
  let contrastAt = tokens.length;
  const contrast = options.contrast;
  if (contrast !== undefined) {
    const at = tokens.findIndex((t) => t.kind === 'word' && contrast.words.has(t.norm));
    if (at >= 0) contrastAt = at;
  }
  const add = (key: string, index: number): void => {
    const value =
      contrast === undefined || contrastAt === tokens.length
        ? 1
        : index < contrastAt
          ? contrast.before
          : index > contrastAt
            ? contrast.after
            : 1;
    const at = seen.get(key);
    if (at !== undefined) {
      // Binary presence: a repeated feature keeps its largest value.
      if (value > (values[at] ?? 0)) values[at] = value;
      return;
    }
    seen.set(key, keys.length);
    keys.push(key);
    values.push(value);
    tokenOf.push(index);
  };
  const stems = options.stems ?? 'off';
  let prev: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    if (isClauseBoundary(t)) {
      const u = unigram(t);
      if (u !== undefined) add(u, i);
      prev = undefined;
      continue;
    }
    const u = unigram(t);
    if (u === undefined) continue;
    const marked = negated[i] === 1 && isLexical(t);
    const prefix = marked ? NEGATED_PREFIX : '';
    if (stems !== 'off' && t.kind === 'word' && isLexical(t)) {
      if (stems === 'add') add(prefix + u, i);
      add(prefix + STEM_PREFIX + porterStem(u), i);
    } else {
      add(prefix + u, i);
    }
    if (t.kind === 'hashtag') {
      const bare = t.norm.slice(1);
      add(marked ? NEGATED_PREFIX + bare : bare, i);
    }
    if (options.bigrams && prev !== undefined) add(`${prev} ${u}`, i);
    prev = u;
  }
  return { keys, values, tokenOf };
}
