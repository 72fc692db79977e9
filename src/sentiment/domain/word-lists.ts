/**
 * Small closed-class word lists per language: negation cues, intensifiers and dampeners,
 * contrast conjunctions and stop words. They are grammar, not data, so they live in code; the
 * large sentiment lexicons live in the model artifact.
 *
 * English cues and booster increments follow VADER (Hutto & Gilbert 2014, MIT); Portuguese
 * lists are written for this project.
 */

export type RuleLanguage = 'en' | 'pt';

/** VADER's empirically derived increment for an intensifier (and decrement for a dampener). */
export const BOOSTER_INCREMENT = 0.293;

export interface LanguageWords {
  /** Words that open a negation scope. */
  negators: ReadonlySet<string>;
  /** Intensifier (> 0) or dampener (< 0) → increment added to the next sentiment word's size. */
  boosters: ReadonlyMap<string, number>;
  /** "but"-like words: what follows outweighs what precedes. */
  contrast: ReadonlySet<string>;
  /** "although"-like words: the clause they open is conceded, so it counts less. */
  concessive: ReadonlySet<string>;
  stopwords: ReadonlySet<string>;
}

const B = BOOSTER_INCREMENT;

const EN_BOOSTERS: ReadonlyArray<readonly [string, number]> = [
  ...[
    'absolutely',
    'amazingly',
    'awfully',
    'completely',
    'considerably',
    'decidedly',
    'deeply',
    'effing',
    'enormously',
    'entirely',
    'especially',
    'exceptionally',
    'extremely',
    'fabulously',
    'flipping',
    'flippin',
    'fricking',
    'frickin',
    'frigging',
    'friggin',
    'fully',
    'fucking',
    'greatly',
    'hella',
    'highly',
    'hugely',
    'incredibly',
    'intensely',
    'majorly',
    'more',
    'most',
    'particularly',
    'purely',
    'quite',
    'really',
    'remarkably',
    'so',
    'substantially',
    'thoroughly',
    'totally',
    'tremendously',
    'uber',
    'unbelievably',
    'unusually',
    'utterly',
    'very',
    'super',
    'too',
    'truly',
  ].map((w) => [w, B] as const),
  ...[
    'almost',
    'barely',
    'hardly',
    'kinda',
    'less',
    'little',
    'marginally',
    'occasionally',
    'partly',
    'scarcely',
    'slightly',
    'somewhat',
    'sorta',
    'fairly',
    'rather',
  ].map((w) => [w, -B] as const),
];

const EN_NEGATORS = [
  'not',
  'no',
  'never',
  'nothing',
  'nobody',
  'none',
  'neither',
  'nor',
  'nowhere',
  'without',
  'rarely',
  'seldom',
  'nope',
  'nah',
  'noone',
  'nay',
  'nothin',
  'lack',
  'lacks',
  'lacking',
];

const EN_CONTRAST = ['but', 'however', 'yet', 'nevertheless', 'nonetheless'];

// A compact English stop list (function words); negators and intensifiers are kept out of it
// because they matter for sentiment even where stop words are dropped.
const EN_STOPWORDS = `a about above after again against all am an and any are as at be because been
before being below between both by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me my myself of off on once only or other our ours ourselves out over own same she
should some such than that the their theirs them themselves then there these they this those
through to under until up was we were what when where which while who whom why will with would
you your yours yourself yourselves 's am are would will have i'm it's that's let's us also get got
gonna wanna u ur im`.split(/\s+/);

const PT_BOOSTERS: ReadonlyArray<readonly [string, number]> = [
  ...[
    'muito',
    'muita',
    'muitos',
    'muitas',
    'mto',
    'mt',
    'bastante',
    'extremamente',
    'super',
    'tão',
    'tao',
    'demais',
    'totalmente',
    'completamente',
    'realmente',
    'absolutamente',
    'incrivelmente',
    'mais',
    'altamente',
    'profundamente',
    'inteiramente',
    'verdadeiramente',
    'particularmente',
    'especialmente',
    'bem',
    'mega',
    'ultra',
    'hiper',
    'tremendamente',
    'imensamente',
    'enormemente',
    'bastantes',
  ].map((w) => [w, B] as const),
  ...[
    'pouco',
    'pouca',
    'meio',
    'ligeiramente',
    'levemente',
    'quase',
    'relativamente',
    'razoavelmente',
    'apenas',
    'algo',
    'parcialmente',
    'menos',
  ].map((w) => [w, -B] as const),
];

const PT_NEGATORS = [
  'não',
  'nao',
  'ñ',
  'n',
  'nunca',
  'jamais',
  'nem',
  'nenhum',
  'nenhuma',
  'nada',
  'ninguém',
  'ninguem',
  'sem',
  'tampouco',
  'falta',
  'faltou',
];

const PT_CONTRAST = ['mas', 'porém', 'porem', 'contudo', 'entretanto', 'todavia'];

const PT_STOPWORDS = `a à ao aos as às até com como da das de dela delas dele deles depois do dos e
é ela elas ele eles em entre era eram essa essas esse esses esta está estão estas este estes eu
foi for foram há isso isto já lhe lhes me meu meus minha minhas na nas nem no nos nós num numa o
os ou para pela pelas pelo pelos por qual quando que quem se seja ser seu seus sua suas também
te tem têm teu tua você vocês vos um uma umas uns pra pro tá ta vc vcs q é`.split(/\s+/);

function words(list: readonly string[]): ReadonlySet<string> {
  return new Set(list.filter((w) => w.length > 0));
}

export const LANGUAGE_WORDS: Readonly<Record<RuleLanguage, LanguageWords>> = {
  en: {
    negators: words(EN_NEGATORS),
    boosters: new Map(EN_BOOSTERS),
    contrast: words(EN_CONTRAST),
    concessive: words(['although', 'though', 'despite', 'albeit', 'notwithstanding']),
    stopwords: words(EN_STOPWORDS),
  },
  pt: {
    negators: words(PT_NEGATORS),
    boosters: new Map(PT_BOOSTERS),
    contrast: words(PT_CONTRAST),
    concessive: words(['embora', 'apesar', 'conquanto']),
    stopwords: words(PT_STOPWORDS),
  },
};
