import { type Token } from './tokenize.js';

export type Language = 'en' | 'pt' | 'other';

export interface LanguageGuess {
  language: Language;
  /** 0..1: share of the evidence that went to the winner (0 when there was none). */
  confidence: number;
}

/**
 * A small, fast language identifier for comments: function-word hits (the most frequent words
 * of each language, which short texts still contain) plus orthographic cues (ã/õ/ç, "ção", "lh"
 * for Portuguese). Spanish, French, German and Italian are modelled too, only so that they are
 * not mistaken for Portuguese or English; they are reported as "other", as are non-Latin
 * scripts. Text with letters but no evidence at all defaults to English (short English tweets
 * often have no function word: "Awesome movie!!"), flagged with confidence 0.
 */
type Candidate = 'en' | 'pt' | 'es' | 'fr' | 'de' | 'it';
const CANDIDATES: readonly Candidate[] = ['en', 'pt', 'es', 'fr', 'de', 'it'];

const FUNCTION_WORDS: Readonly<Record<Candidate, string>> = {
  en: `a the and is are was were to of in it you that this for with my have has be not but on at i
me so just what your all they we he she his her its been would will can do don't does did from
about there their when out up if an or as by no how why who much really love like very good
great bad movie film thanks thank lol omg day today get got going too now one more am im`,
  pt: `o os as um uma uns umas de do da dos das em no na nos nas que é não para pra com por se
mas eu você vc ele ela eles elas muito muita mais como isso esse essa este esta foi está estou
são ser tem têm ter já também quando ainda bem só aqui porque então minha meu seu sua nosso
nossa pelo pela ao aos à às hoje dia obrigado obrigada filme bom boa ótimo legal nada tudo
nunca sempre fazer faz vai vou tá né ou sobre até depois agora coisa gente cara sem era isto`,
  es: `el la los las un una de del en que es no para por con se pero yo usted él ella muy más
como esto eso este esta fue está estoy son ser tiene hay ya también cuando todavía bien solo
aquí porque entonces mi su nuestro al lo le les hoy día gracias película bueno buena nada todo
nunca siempre hacer hace va voy y o sobre hasta después ahora cosa gente sin era muy pues`,
  fr: `le la les un une des de du en que est ne pas pour par avec se mais je vous il elle ils
elles très plus comme ce cette été suis sont être avoir déjà aussi quand encore bien seulement
ici parce mon ma mes son sa notre au aux aujourd'hui jour merci film bon bonne rien tout jamais
toujours faire fait va vais et ou sur après maintenant chose on c'est qui`,
  de: `der die das ein eine und ist nicht zu mit sich auf für von dem den des ich du er sie es
wir ihr sehr mehr wie dies war bin sind sein haben schon auch wenn noch gut nur hier weil dann
mein dein unser im am heute tag danke nichts alles nie immer machen macht geht oder über nach
jetzt ding aber`,
  it: `il lo la gli le un una di del della in che è non per con si ma io lei lui molto più come
questo questa questo era sono essere ha hanno già anche quando ancora bene solo qui perché
allora mio mia suo sua nostro al alla oggi giorno grazie bello buono niente tutto mai sempre
fare fa va vado e o su dopo adesso cosa gente senza`,
};

const WORD_TABLE: ReadonlyMap<string, readonly Candidate[]> = (() => {
  const table = new Map<string, Candidate[]>();
  for (const lang of CANDIDATES) {
    for (const w of FUNCTION_WORDS[lang].split(/\s+/)) {
      if (w.length === 0) continue;
      const langs = table.get(w) ?? [];
      if (!langs.includes(lang)) langs.push(lang);
      table.set(w, langs);
    }
  }
  return table;
})();

// Cues chosen to be (nearly) impossible in English: "unhappy" has "nh", "excellent" has "lle".
const PT_ORTHO_RE = /[ãõ]|ç[aoõu]|ções\b|ção\b|[nl]h[ao]s?\b/gu;
const ES_ORTHO_RE = /[ñ¿¡]|ción\b|ciones\b/gu;
const FR_ORTHO_RE = /[èëîœùû]|eaux?\b|\b[cdjlnst]'/gu;
const DE_ORTHO_RE = /[äöüß]/gu;
const LATIN_RE = /[\p{Script=Latin}]/gu;
const LETTER_RE = /\p{L}/gu;

function countMatches(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n += 1;
  return n;
}

export function detectLanguage(tokens: readonly Token[]): LanguageGuess {
  const score: Record<Candidate, number> = { en: 0, pt: 0, es: 0, fr: 0, de: 0, it: 0 };
  let letters = 0;
  let latin = 0;
  let lexical = '';
  for (const t of tokens) {
    if (t.kind !== 'word') continue;
    letters += countMatches(LETTER_RE, t.norm);
    latin += countMatches(LATIN_RE, t.norm);
    lexical += ` ${t.norm}`;
    const langs = WORD_TABLE.get(t.norm);
    if (langs === undefined) continue;
    // A word shared by several languages is weaker evidence for each.
    const w = 1 / langs.length;
    for (const l of langs) score[l] += w;
  }
  if (letters === 0) return { language: 'other', confidence: 0 };
  if (latin / letters < 0.5)
    return { language: 'other', confidence: latin / letters < 0.1 ? 1 : 0.5 };

  score.pt += 1.5 * countMatches(PT_ORTHO_RE, lexical);
  score.es += 1.5 * countMatches(ES_ORTHO_RE, lexical);
  score.fr += 1.0 * countMatches(FR_ORTHO_RE, lexical);
  score.de += 1.0 * countMatches(DE_ORTHO_RE, lexical);

  let best: Candidate = 'en';
  let total = 0;
  for (const l of CANDIDATES) {
    total += score[l];
    if (score[l] > score[best]) best = l;
  }
  if (total === 0) return { language: 'en', confidence: 0 };
  const confidence = Math.round((score[best] / total) * 1000) / 1000;
  if (best === 'en' || best === 'pt') return { language: best, confidence };
  return { language: 'other', confidence };
}
