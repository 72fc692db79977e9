/**
 * Sentiment domain: pure, synchronous, no I/O. Load the model once per worker, then call
 * `analyze` per comment:
 *
 *   const model = loadModel(readFileSync('models/sentiment-1.1.0.json', 'utf8'));
 *   const result = analyze(model, text);            // hot path, ~15k short texts/s per core
 *   const full = analyze(model, text, { linguistics: true }); // + POS, lemmas, entities (slow)
 */
export { analyze, type Analysis, type AnalyzeOptions, type SentenceSpan } from './analyze.js';
export { type Classification, type Driver, type SentimentLabel } from './classifier.js';
export { detectLanguage, type Language, type LanguageGuess } from './language.js';
export { type Entities, type LinguisticTerm, type Linguistics } from './linguistics.js';
export {
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  loadModel,
  ModelLoadError,
  type HyperParameters,
  type ModelArtifact,
  type NeutralPolicy,
  type SentimentModel,
} from './model.js';
export { findNegation, type NegationScope } from './negation.js';
export {
  DEFAULT_MAX_CHARS,
  sanitizeText,
  type InputIssueCode,
  type SanitizedText,
} from './sanitize.js';
export { tokenize, type Token, type TokenKind } from './tokenize.js';
export { trainModel, type LexiconData, type TrainingExample } from './train.js';
