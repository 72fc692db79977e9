import { isClauseBoundary, isLexical, type Token } from './tokenize.js';
import { LANGUAGE_WORDS, type RuleLanguage } from './word-lists.js';

/** A negation cue and the tokens it governs, as token indices ([start, end) exclusive). */
export interface NegationScope {
  cue: number;
  start: number;
  end: number;
}

export interface NegationResult {
  scopes: NegationScope[];
  /** negated[i] === 1 when token i lies inside some scope. */
  negated: Uint8Array;
}

/** Default scope length, in words, when no punctuation closes it earlier. */
export const DEFAULT_NEGATION_WINDOW = 4;

/** Cue + next word pairs that are not negations ("not only ... but also", "não só"). */
const FALSE_NEGATIONS: ReadonlySet<string> = new Set([
  'not only',
  'not just',
  'no doubt',
  'not merely',
  'never mind',
  'não só',
  'não apenas',
  'sem dúvida',
  'sem duvida',
]);

/**
 * Marks negation scopes: a scope opens after a cue word ("not", "never", "n't", "não", "sem")
 * and runs until clause punctuation, a contrast word ("but", "mas"), another cue, or `window`
 * words, whichever comes first (Das & Chen 2001; Pang et al. 2002 stop at punctuation; the word
 * cap keeps long clauses from being swallowed whole).
 */
export function findNegation(
  tokens: readonly Token[],
  language: RuleLanguage,
  window: number = DEFAULT_NEGATION_WINDOW,
): NegationResult {
  const words = LANGUAGE_WORDS[language];
  const negated = new Uint8Array(tokens.length);
  const scopes: NegationScope[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const cue = tokens[i];
    if (cue === undefined || cue.kind !== 'word' || !words.negators.has(cue.norm)) continue;
    const next = tokens[i + 1];
    if (next !== undefined && FALSE_NEGATIONS.has(`${cue.norm} ${next.norm}`)) continue;
    let j = i + 1;
    let counted = 0;
    while (j < tokens.length && counted < window) {
      const t = tokens[j];
      if (t === undefined || isClauseBoundary(t)) break;
      if (t.kind === 'word' && (words.contrast.has(t.norm) || words.negators.has(t.norm))) break;
      if (isLexical(t)) counted += 1;
      negated[j] = 1;
      j += 1;
    }
    if (j > i + 1) scopes.push({ cue: i, start: i + 1, end: j });
  }
  return { scopes, negated };
}
