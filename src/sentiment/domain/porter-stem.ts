/**
 * The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980),
 * for the classifier's stemmed unigram features: "loved", "loving", "loves" → "love";
 * "disappointing", "disappointed", "disappointment" → "disappoint". Deterministic, no
 * dictionary, a handful of precompiled regular expressions per word: cheap enough for the hot
 * path, unlike a compromise parse. Only lower-case ASCII words of 3+ letters are stemmed; anything
 * else (accented or Portuguese words, placeholders) comes back unchanged.
 */

const STEP2: Readonly<Record<string, string>> = {
  ational: 'ate',
  tional: 'tion',
  enci: 'ence',
  anci: 'ance',
  izer: 'ize',
  bli: 'ble',
  alli: 'al',
  entli: 'ent',
  eli: 'e',
  ousli: 'ous',
  ization: 'ize',
  ation: 'ate',
  ator: 'ate',
  alism: 'al',
  iveness: 'ive',
  fulness: 'ful',
  ousness: 'ous',
  aliti: 'al',
  iviti: 'ive',
  biliti: 'ble',
  logi: 'log',
};

const STEP3: Readonly<Record<string, string>> = {
  icate: 'ic',
  ative: '',
  alize: 'al',
  iciti: 'ic',
  ical: 'ic',
  ful: '',
  ness: '',
};

// A consonant is a letter other than a, e, i, o, u, and other than y preceded by a consonant.
// An initial "y" is upper-cased while stemming so that it counts as a consonant.
const C = '[^aeiou][^aeiouy]*';
const V = '[aeiouy][aeiou]*';
/** measure m > 0: [C](VC)+... */
const M_GT0 = new RegExp(`^(?:${C})?${V}${C}`);
/** measure m = 1: [C]VC[V] */
const M_EQ1 = new RegExp(`^(?:${C})?${V}${C}(?:${V})?$`);
/** measure m > 1 */
const M_GT1 = new RegExp(`^(?:${C})?${V}${C}${V}${C}`);
/** the stem contains a vowel */
const HAS_VOWEL = new RegExp(`^(?:${C})?[aeiouy]`);
/** ends consonant-vowel-consonant, the last not w, x or y (*o) */
const CVC = new RegExp(`^${C}[aeiouy][^aeiouwxy]$`);

const STEP1A_IES = /^(.+?)(ss|i)es$/;
const STEP1A_S = /^(.+?)([^s])s$/;
const STEP1B_EED = /^(.+?)eed$/;
const STEP1B_ED_ING = /^(.+?)(ed|ing)$/;
const STEP1B_FIX = /(?:at|bl|iz)$/;
const DOUBLE_END = /([^aeiouylsz])\1$/;
const STEP1C = /^(.+?)y$/;
const STEP2_RE =
  /^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$/;
const STEP3_RE = /^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$/;
const STEP4_RE =
  /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/;
const STEP4_ION = /^(.+?)(s|t)(ion)$/;
const STEP5_E = /^(.+?)e$/;
const ASCII_WORD = /^[a-z]{3,}$/;

export function porterStem(word: string): string {
  if (!ASCII_WORD.test(word)) return word;
  const initialY = word.startsWith('y');
  let w = initialY ? `Y${word.slice(1)}` : word;

  // Step 1a: plurals.
  let m = STEP1A_IES.exec(w);
  if (m !== null) w = `${m[1] ?? ''}${m[2] ?? ''}`;
  else if ((m = STEP1A_S.exec(w)) !== null) w = `${m[1] ?? ''}${m[2] ?? ''}`;

  // Step 1b: past tense and progressive.
  if ((m = STEP1B_EED.exec(w)) !== null) {
    if (M_GT0.test(m[1] ?? '')) w = w.slice(0, -1);
  } else if ((m = STEP1B_ED_ING.exec(w)) !== null) {
    const stem = m[1] ?? '';
    if (HAS_VOWEL.test(stem)) {
      w = stem;
      if (STEP1B_FIX.test(w)) w += 'e';
      else if (DOUBLE_END.test(w)) w = w.slice(0, -1);
      else if (CVC.test(w)) w += 'e';
    }
  }

  // Step 1c: terminal y → i when the stem has a vowel.
  if ((m = STEP1C.exec(w)) !== null) {
    const stem = m[1] ?? '';
    if (HAS_VOWEL.test(stem)) w = `${stem}i`;
  }

  // Step 2: double suffixes to single ones.
  if ((m = STEP2_RE.exec(w)) !== null) {
    const stem = m[1] ?? '';
    if (M_GT0.test(stem)) w = stem + (STEP2[m[2] ?? ''] ?? '');
  }

  // Step 3: -ic-, -full, -ness.
  if ((m = STEP3_RE.exec(w)) !== null) {
    const stem = m[1] ?? '';
    if (M_GT0.test(stem)) w = stem + (STEP3[m[2] ?? ''] ?? '');
  }

  // Step 4: derivational suffixes when the measure stays > 1.
  if ((m = STEP4_RE.exec(w)) !== null) {
    const stem = m[1] ?? '';
    if (M_GT1.test(stem)) w = stem;
  } else if ((m = STEP4_ION.exec(w)) !== null) {
    const stem = `${m[1] ?? ''}${m[2] ?? ''}`;
    if (M_GT1.test(stem)) w = stem;
  }

  // Step 5: final e, and -ll.
  if ((m = STEP5_E.exec(w)) !== null) {
    const stem = m[1] ?? '';
    if (M_GT1.test(stem) || (M_EQ1.test(stem) && !CVC.test(stem))) w = stem;
  }
  if (w.endsWith('ll') && M_GT1.test(w)) w = w.slice(0, -1);

  return initialY ? `y${w.slice(1)}` : w;
}
