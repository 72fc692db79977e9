import nlp from 'compromise';

/**
 * The full linguistic parse with compromise (English): sentences, part-of-speech tags, lemmas
 * (compromise "roots") and named entities. It costs ~1 ms per short text, about 20x the rest of
 * the pipeline, so `analyze` runs it only when asked (`{ linguistics: true }`). compromise only
 * models English; for other languages the result is marked unsupported rather than guessed.
 */

export interface LinguisticTerm {
  text: string;
  /** compromise's normal form: lower case, punctuation and contractions resolved. */
  normal: string;
  /** Lemma/root ("movies" → "movie", "were" → "is"); the normal form when compromise has none. */
  lemma: string;
  /** Main part of speech (Noun, Verb, Adjective, ...), from the tag set. */
  pos: string;
  tags: string[];
}

export interface Entities {
  people: string[];
  places: string[];
  organizations: string[];
}

export interface Linguistics {
  supported: boolean;
  sentences: string[];
  terms: LinguisticTerm[];
  entities: Entities;
}

const POS_PRIORITY = [
  'Emoji',
  'Emoticon',
  'Url',
  'AtMention',
  'HashTag',
  'Negative',
  'Verb',
  'Adjective',
  'Adverb',
  'Pronoun',
  'Noun',
  'Value',
  'Determiner',
  'Preposition',
  'Conjunction',
  'QuestionWord',
  'Expression',
] as const;

const EDGE_PUNCT_RE = /^[\s"'“”‘’([{]+|[\s.,!?;:"'“”‘’)\]}]+$/g;

function asRecord(x: unknown): Record<string, unknown> | undefined {
  return typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : undefined;
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : [];
}

function mainPos(tags: readonly string[]): string {
  for (const p of POS_PRIORITY) if (tags.includes(p)) return p;
  return tags[0] ?? 'Unknown';
}

function entityTexts(json: unknown): string[] {
  const out: string[] = [];
  if (!Array.isArray(json)) return out;
  for (const m of json) {
    const text = str(asRecord(m)?.text).replace(EDGE_PUNCT_RE, '');
    // compromise tags @mentions as people; mentions are tokens of their own, not entities.
    if (text.length === 0 || /^[@#]|^https?:/i.test(text) || out.includes(text)) continue;
    out.push(text);
  }
  return out;
}

export const EMPTY_ENTITIES: Entities = Object.freeze({
  people: [],
  places: [],
  organizations: [],
});

export function parseLinguistics(text: string, language: string): Linguistics {
  if (language !== 'en' || text.length === 0) {
    return { supported: language === 'en', sentences: [], terms: [], entities: EMPTY_ENTITIES };
  }
  const doc = nlp(text);
  doc.compute('root');
  const sentences: string[] = [];
  const terms: LinguisticTerm[] = [];
  // `root` is a valid term option since compromise 14 but missing from its typings.
  const jsonOptions = { terms: { normal: true, root: true } };
  const json: unknown = doc.json(jsonOptions);
  if (Array.isArray(json)) {
    for (const s of json) {
      const sentence = asRecord(s);
      if (sentence === undefined) continue;
      sentences.push(str(sentence.text).trim());
      if (!Array.isArray(sentence.terms)) continue;
      for (const t of sentence.terms) {
        const term = asRecord(t);
        if (term === undefined) continue;
        const tags = strings(term.tags);
        // compromise expands contractions into an implicit term with empty text ("n't" → not).
        const surface = str(term.text);
        const normal = str(term.normal) || str(term.implicit);
        if (surface.length === 0 && normal.length === 0) continue;
        terms.push({
          text: surface,
          normal,
          lemma: str(term.root) || normal,
          pos: mainPos(tags),
          tags,
        });
      }
    }
  }
  const people: unknown = doc.people().json();
  const places: unknown = doc.places().json();
  const organizations: unknown = doc.organizations().json();
  return {
    supported: true,
    sentences,
    terms,
    entities: {
      people: entityTexts(people),
      places: entityTexts(places),
      organizations: entityTexts(organizations),
    },
  };
}
