import {
  classifyTokens,
  type Classification,
  type Driver,
  type SentimentLabel,
} from './classifier.js';
import { detectLanguage, type Language } from './language.js';
import { parseLinguistics, type Linguistics } from './linguistics.js';
import { type SentimentModel } from './model.js';
import { findNegation, type NegationScope } from './negation.js';
import { DEFAULT_MAX_CHARS, sanitizeText, type InputIssueCode } from './sanitize.js';
import { isLexical, isSentenceEnd, tokenize, type Token } from './tokenize.js';
import { LANGUAGE_WORDS } from './word-lists.js';

export interface AnalyzeOptions {
  /**
   * Also run the full compromise parse: sentences, POS tags, lemmas, entities (English only).
   * About 1,500 texts/s per core instead of the hot path's tens of thousands. Default false.
   */
  linguistics?: boolean;
  /** Longest text analysed (UTF-16 code units); longer input is cut and flagged. */
  maxChars?: number;
  /** Skip detection and treat the text as this language. */
  language?: Language;
}

export interface SentenceSpan {
  /** UTF-16 offsets [start, end) into `input.text`. */
  start: number;
  end: number;
  text: string;
}

export interface Analysis {
  modelVersion: string;
  language: Language;
  /** 0..1; 0 means "no evidence, defaulted" (see language.ts). 1 when given in options. */
  languageConfidence: number;
  label: SentimentLabel;
  /** 2·P(positive) − 1 in [-1, 1]; its sign is the binary decision even when label is neutral. */
  score: number;
  /** Probability of the more likely polarity, 0.5..1. */
  confidence: number;
  neutralReason?: 'NO_SENTIMENT_TOKENS' | 'LOW_CONFIDENCE';
  /** Tokens that drove the decision, strongest first (at most 5). */
  drivers: Driver[];
  method: 'hybrid' | 'rules';
  tokens: Token[];
  /** Normalised content terms: lower-cased, contractions expanded, stop words and punctuation removed. */
  terms: string[];
  negationScopes: NegationScope[];
  /** Rule-based sentence split of the cleaned text (compromise's is in `linguistics`). */
  sentences: SentenceSpan[];
  input: {
    /** The cleaned text the offsets refer to. */
    text: string;
    originalLength: number;
    truncated: boolean;
    issues: InputIssueCode[];
  };
  linguistics?: Linguistics;
}

function splitSentences(text: string, tokens: readonly Token[]): SentenceSpan[] {
  const out: SentenceSpan[] = [];
  let start = -1;
  let end = 0;
  const close = (): void => {
    if (start >= 0) out.push({ start, end, text: text.slice(start, end) });
    start = -1;
  };
  for (const t of tokens) {
    if (start >= 0 && text.slice(end, t.start).includes('\n')) close();
    if (start < 0) start = t.start;
    end = t.end;
    if (isSentenceEnd(t)) close();
  }
  close();
  return out;
}

function contentTerms(tokens: readonly Token[], language: Language): string[] {
  const stop = LANGUAGE_WORDS[language === 'pt' ? 'pt' : 'en'].stopwords;
  const out: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'emoji' || t.kind === 'emoticon' || t.kind === 'hashtag') out.push(t.norm);
    else if (isLexical(t) && !stop.has(t.norm)) out.push(t.norm);
  }
  return out;
}

/**
 * Analyses one comment: cleans it, tokenises, detects the language, marks negation, classifies
 * sentiment and (optionally) parses it with compromise. Synchronous, pure, never throws on any
 * input; the model is loaded once per worker with `loadModel`.
 */
export function analyze(model: SentimentModel, text: string, opts: AnalyzeOptions = {}): Analysis {
  const clean = sanitizeText(text, opts.maxChars ?? DEFAULT_MAX_CHARS);
  const tokens = tokenize(clean.text);
  const guess =
    opts.language !== undefined
      ? { language: opts.language, confidence: 1 }
      : detectLanguage(tokens);
  const ruleLanguage = guess.language === 'pt' ? 'pt' : 'en';
  const negation = findNegation(tokens, ruleLanguage, model.hyperParameters.negationWindow);
  // Nothing to read (empty, whitespace, stripped markup): neutral at exactly 0, not the prior.
  const c: Classification =
    tokens.length === 0
      ? {
          label: 'neutral',
          score: 0,
          confidence: 0.5,
          neutralReason: 'NO_SENTIMENT_TOKENS',
          drivers: [],
          method: guess.language === 'en' ? 'hybrid' : 'rules',
        }
      : classifyTokens(model, tokens, negation.negated, guess.language);
  const analysis: Analysis = {
    modelVersion: model.version,
    language: guess.language,
    languageConfidence: guess.confidence,
    label: c.label,
    score: c.score,
    confidence: c.confidence,
    drivers: c.drivers,
    method: c.method,
    tokens,
    terms: contentTerms(tokens, guess.language),
    negationScopes: negation.scopes,
    sentences: splitSentences(clean.text, tokens),
    input: {
      text: clean.text,
      originalLength: clean.originalLength,
      truncated: clean.truncated,
      issues: clean.issues,
    },
  };
  if (c.neutralReason !== undefined) analysis.neutralReason = c.neutralReason;
  if (opts.linguistics === true) {
    analysis.linguistics = parseLinguistics(clean.text, guess.language);
  }
  return analysis;
}
