import { ptKey } from './pt-normalize.js';
import { isClauseBoundary, isLexical, type Token } from './tokenize.js';
import { BOOSTER_INCREMENT, LANGUAGE_WORDS, type RuleLanguage } from './word-lists.js';

/**
 * VADER-style lexicon rules (Hutto & Gilbert 2014): what lexicons do well and bag-of-words
 * models learn poorly from little data — negation flips, intensifiers and dampeners, "but"
 * contrast, ALL-CAPS and "!!!" emphasis, emoji and emoticons. The output `compound` is one
 * feature of the hybrid English model and the whole score for Portuguese.
 */

/** VADER constants: caps emphasis, negation scalar, punctuation amplifiers, normaliser alpha. */
export const CAPS_INCREMENT = 0.733;
export const NEGATION_SCALAR = -0.74;
export const EXCLAMATION_INCREMENT = 0.292;
export const QUESTION_INCREMENT = 0.18;
export const NORMALISATION_ALPHA = 15;
/** Weight of sentiment before / after a contrast word ("good but boring" leans negative). */
export const BEFORE_CONTRAST = 0.5;
export const AFTER_CONTRAST = 1.5;
/** Weight of sentiment inside a conceded clause ("although it is pretty, ..."). */
export const CONCEDED_SCALAR = 0.5;
const BOOSTER_DECAY = [1, 0.95, 0.9] as const;

export interface RuleLexicon {
  /** Word valences on VADER's -4..4 scale, keyed by `lexiconKey`. */
  words: ReadonlyMap<string, number>;
  /** Two-word expressions ("bem feito", "kind of"), keyed "first second" by `lexiconKey` parts. */
  phrases: ReadonlyMap<string, number>;
  /**
   * English only: valences by light stem (see `englishStem`), the fallback for inflected and
   * derived forms missing from the lexicon ("riveted" finds "riveting").
   */
  stems?: ReadonlyMap<string, number>;
}

const EN_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['ingly', ''],
  ['edly', ''],
  ['fully', 'ful'],
  ['ably', 'able'],
  ['ibly', 'ible'],
  ['ness', ''],
  ['ings', ''],
  ['ily', 'y'],
  ['ing', ''],
  ['ied', 'y'],
  ['ies', 'y'],
  ['ly', ''],
  ['ed', ''],
  ['es', ''],
  ['s', ''],
];

/** Stems shorter than this are too ambiguous to match on ("hat" ← hated, hats). */
export const MIN_STEM_LENGTH = 4;

/**
 * A light English stemmer for lexicon fallback only: one inflectional/adverbial suffix, then a
 * final "e" and a doubled final consonant dropped, so "predictably" and "predictable" meet at
 * "predictabl", "riveted" and "riveting" at "rivet". Negative derivations ("-less") are kept.
 */
export function englishStem(word: string): string {
  let w = word;
  for (const [suffix, replacement] of EN_SUFFIXES) {
    if (w.length - suffix.length < 3 || !w.endsWith(suffix)) continue;
    if (suffix === 's' && /(?:ss|us|is)$/.test(w)) break;
    w = w.slice(0, w.length - suffix.length) + replacement;
    break;
  }
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && /([b-df-hj-np-tv-z])\1$/.test(w) && !/(?:ll|ss|zz)$/.test(w))
    w = w.slice(0, -1);
  return w;
}

/** Stem → valence for the English lexicon; stems whose words disagree in sign are dropped. */
export function buildStemIndex(words: ReadonlyMap<string, number>): Map<string, number> {
  const acc = new Map<string, number[]>();
  for (const [w, v] of words) {
    if (!/^\p{L}+$/u.test(w) || w.length < 5) continue;
    const stem = englishStem(w);
    if (stem.length < MIN_STEM_LENGTH) continue;
    const list = acc.get(stem);
    if (list === undefined) acc.set(stem, [v]);
    else list.push(v);
  }
  const out = new Map<string, number>();
  for (const [stem, vs] of acc) {
    const pos = vs.some((v) => v > 0);
    const neg = vs.some((v) => v < 0);
    if (pos && neg) continue;
    out.set(stem, vs.reduce((s, v) => s + v, 0) / vs.length);
  }
  return out;
}

export interface RuleScore {
  /** Normalised sum in [-1, 1] (VADER's compound). */
  compound: number;
  /** Sum of token valences after rules, before punctuation emphasis and normalisation. */
  sum: number;
  /** Per-token valence after rules; 0 where a token carries no lexicon sentiment. */
  contributions: Float64Array;
  /** Number of sentiment-bearing tokens. */
  hits: number;
}

/** Lexicon key of a word for a language: the normalised form for English, folded stem for Portuguese. */
export function lexiconKey(norm: string, language: RuleLanguage): string {
  return language === 'pt' ? ptKey(norm).key : norm;
}

function wordValence(
  token: Token,
  language: RuleLanguage,
  lexicon: RuleLexicon,
): { valence: number; superlative: boolean } {
  const norm = token.kind === 'hashtag' ? token.norm.slice(1) : token.norm;
  if (language === 'pt') {
    const k = ptKey(norm);
    return { valence: lexicon.words.get(k.key) ?? 0, superlative: k.superlative };
  }
  let v = lexicon.words.get(norm);
  if (v === undefined && token.elongated) v = lexicon.words.get(norm.replace(/(\p{L})\1+/gu, '$1'));
  if (v === undefined && lexicon.stems !== undefined && norm.length >= 5) {
    const stem = englishStem(norm);
    if (stem.length >= MIN_STEM_LENGTH) v = lexicon.stems.get(stem);
  }
  return { valence: v ?? 0, superlative: false };
}

function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

export function normaliseScore(sum: number): number {
  return sum / Math.sqrt(sum * sum + NORMALISATION_ALPHA);
}

export function scoreRules(
  tokens: readonly Token[],
  negated: Uint8Array,
  language: RuleLanguage,
  lexicon: RuleLexicon,
  emoji: ReadonlyMap<string, number>,
): RuleScore {
  const words = LANGUAGE_WORDS[language];
  const contributions = new Float64Array(tokens.length);

  let lexicalCount = 0;
  let capsCount = 0;
  let contrastAt = -1;
  let exclamations = 0;
  let questions = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    if (t.kind === 'word') {
      lexicalCount += 1;
      if (t.caps) capsCount += 1;
      if (contrastAt < 0 && words.contrast.has(t.norm)) contrastAt = i;
    } else if (t.kind === 'punct') {
      for (const c of t.norm) {
        if (c === '!') exclamations += 1;
        else if (c === '?') questions += 1;
      }
    }
  }
  // A clause opened by "although"/"despite" is conceded: it counts half, until punctuation.
  const conceded = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined || t.kind !== 'word' || !words.concessive.has(t.norm)) continue;
    for (let j = i + 1; j < tokens.length; j++) {
      const u = tokens[j];
      if (u === undefined || isClauseBoundary(u)) break;
      if (u.kind === 'word' && words.contrast.has(u.norm)) break;
      conceded[j] = 1;
    }
  }
  // Caps only emphasise when the writer did not shout the whole text.
  const capsDifferential = capsCount > 0 && capsCount < lexicalCount;

  let sum = 0;
  let hits = 0;
  let prevLexical = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined) continue;
    let v = 0;
    if (t.kind === 'emoji' || t.kind === 'emoticon') {
      // Emoji sit outside the grammar: no negation, no boosters.
      v = emoji.get(t.norm) ?? 0;
    } else if (isLexical(t)) {
      const prevIndex = prevLexical;
      prevLexical = i;
      const prev = prevIndex >= 0 ? tokens[prevIndex] : undefined;
      let phraseWithNegator = false;
      let superlative = false;
      const phrase =
        prev !== undefined && lexicon.phrases.size > 0
          ? lexicon.phrases.get(
              `${lexiconKey(prev.norm, language)} ${lexiconKey(t.norm, language)}`,
            )
          : undefined;
      if (phrase !== undefined) {
        // The phrase ("sem graça", "kind of") replaces its parts' own valences.
        const old = contributions[prevIndex] ?? 0;
        sum -= old;
        if (old !== 0) hits -= 1;
        contributions[prevIndex] = 0;
        v = phrase;
        phraseWithNegator = prev !== undefined && words.negators.has(prev.norm);
      } else {
        if (words.negators.has(t.norm) || words.boosters.has(t.norm)) continue;
        const wv = wordValence(t, language, lexicon);
        v = wv.valence;
        superlative = wv.superlative;
      }
      if (v === 0) continue;
      const s = sign(v);
      if (t.caps && capsDifferential) v += s * CAPS_INCREMENT;
      if (t.elongated || superlative) v += s * BOOSTER_INCREMENT;
      // Boosters among the three preceding words of the same clause.
      let seen = 0;
      for (let j = i - 1; j >= 0 && seen < BOOSTER_DECAY.length; j--) {
        const b = tokens[j];
        if (b === undefined || isClauseBoundary(b)) break;
        if (!isLexical(b)) continue;
        const inc = words.boosters.get(b.norm);
        if (inc !== undefined) {
          let scalar = inc * (BOOSTER_DECAY[seen] ?? 0.9);
          if (b.caps && capsDifferential) scalar += sign(inc) * CAPS_INCREMENT;
          v += s * scalar;
        }
        seen += 1;
      }
      // A phrase that contains its own negator ("sem graça") is not negated again.
      if (negated[i] === 1 && !phraseWithNegator) v *= NEGATION_SCALAR;
    } else {
      continue;
    }
    if (v === 0) continue;
    if (contrastAt >= 0) v *= i < contrastAt ? BEFORE_CONTRAST : AFTER_CONTRAST;
    if (conceded[i] === 1) v *= CONCEDED_SCALAR;
    contributions[i] = v;
    sum += v;
    hits += 1;
  }

  let emphasised = sum;
  if (sum !== 0) {
    let amp = Math.min(exclamations, 4) * EXCLAMATION_INCREMENT;
    if (questions > 1) amp += questions <= 3 ? questions * QUESTION_INCREMENT : 0.96;
    emphasised += sign(sum) * amp;
  }
  return { compound: normaliseScore(emphasised), sum, contributions, hits };
}
