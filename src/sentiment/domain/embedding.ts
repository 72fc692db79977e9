import { type Token } from './tokenize.js';

/**
 * Word-embedding block of the English model: the mean of pre-trained word vectors over the
 * comment's words that have one ('plain'), with words inside a negation scope entering with
 * their vector negated ('flip'), or none ('off').
 *
 * The model is linear, so the block's weight vector w folds into one scalar per word,
 * s_word = w · v_word, and the block's contribution to the log-odds is the mean of the words'
 * scalars. Training works with the vectors; the artifact and the service only see the scalars
 * (one map lookup per token, no embedding file at run time).
 */
export type EmbeddingMode = 'off' | 'plain' | 'flip';

/**
 * Calls `visit(index, entry, sign)` for each token that enters the embedding mean: words whose
 * normalised form `lookup` knows, signed −1 inside a negation scope when mode is 'flip'.
 * Returns how many tokens entered (the mean's denominator). The same rule at training time
 * (vectors) and at inference (scalars), so the folded model computes what was fitted.
 */
export function forEachEmbedded<T>(
  tokens: readonly Token[],
  negated: Uint8Array,
  mode: EmbeddingMode,
  lookup: (norm: string) => T | undefined,
  visit: (index: number, entry: T, sign: number) => void,
): number {
  if (mode === 'off') return 0;
  let n = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined || t.kind !== 'word') continue;
    const entry = lookup(t.norm);
    if (entry === undefined) continue;
    visit(i, entry, mode === 'flip' && negated[i] === 1 ? -1 : 1);
    n += 1;
  }
  return n;
}
