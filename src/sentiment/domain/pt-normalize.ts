/**
 * Light Portuguese normalisation for lexicon matching: accents folded, plural and feminine
 * reduced to masculine singular, "-mente" adverbs to their adjective, "-íssimo" superlatives to
 * the base form. Both lexicon keys and input words go through the same function, so the rules
 * only have to be consistent, not linguistically complete (a light stemmer in the spirit of
 * Orengo & Huyck's RSLP plural/feminine steps). Under 1 µs per word.
 */

const MARKS_RE = /\p{M}+/gu;

export function foldAccents(word: string): string {
  // Fast path: plain ASCII needs no decomposition.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7F]*$/.test(word)) return word;
  return word.normalize('NFD').replace(MARKS_RE, '');
}

/** Superlative "-íssimo" also tells us the word was intensified. */
export interface PtKey {
  key: string;
  superlative: boolean;
}

export function ptKey(word: string): PtKey {
  let w = foldAccents(word.toLowerCase());
  let superlative = false;
  if (w.length <= 3) return { key: w, superlative };

  if (w.length > 7 && w.endsWith('mente')) {
    w = w.slice(0, -5);
  }

  // Plural → singular.
  if (w.endsWith('oes') || w.endsWith('aes')) w = `${w.slice(0, -3)}ao`;
  else if (w.endsWith('ais') && w.length > 4) w = `${w.slice(0, -3)}al`;
  else if (w.endsWith('eis') && w.length > 4) w = `${w.slice(0, -3)}el`;
  else if (w.endsWith('ois') && w.length > 4) w = `${w.slice(0, -3)}ol`;
  else if (w.endsWith('ns') && w.length > 3) w = `${w.slice(0, -2)}m`;
  else if (w.length > 5 && /[rzs]es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && w.length > 3) w = w.slice(0, -1);

  // Superlative → base (lindíssimo → lindo).
  if (w.length > 7 && (w.endsWith('issimo') || w.endsWith('issima'))) {
    w = `${w.slice(0, -6)}o`;
    superlative = true;
  }

  // Feminine → masculine (chata → chato, encantadora → encantador).
  if (w.length > 4 && w.endsWith('ora')) w = w.slice(0, -1);
  else if (w.length >= 4 && w.endsWith('a')) w = `${w.slice(0, -1)}o`;

  return { key: w, superlative };
}
