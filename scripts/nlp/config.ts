import { type HyperParameters } from '../../src/sentiment/domain/model.js';
import { DEFAULT_NEUTRAL_POLICY } from '../../src/sentiment/domain/train.js';

/** Semantic version of the model; bump on any change to data, features or hyper-parameters. */
export const MODEL_SEMVER = '1.1.0';

/** Seed of every random choice (fold assignment). Training itself is exact, not stochastic. */
export const SEED = 20_240_611;

/** k of the k-fold cross-validation reported for data the model is trained on. */
export const CV_FOLDS = 5;

/**
 * Chosen by `npm run nlp:train -- --select` (leave-one-domain-out cross-validation on the
 * training data only; see models/MODEL_CARD.md). Never tuned on SST-2.
 */
export const HYPERPARAMETERS: HyperParameters = {
  l2: 1e-4,
  minDf: 2,
  bigrams: true,
  stems: 'off',
  negationWindow: 4,
  contrastFeatures: true,
  estimator: 'average',
  nbL2: 1e-4,
  useRules: true,
  embedding: 'flip',
  embeddingScale: 1,
  pruneBelow: 0.01,
  maxIterations: 300,
};

/** Loss weight of one UCI sentence relative to one tweet (clean labels vs emoticon-derived). */
export const UCI_WEIGHT = 20;

export const NEUTRAL_POLICY = DEFAULT_NEUTRAL_POLICY;

/**
 * The search run by --select: a grid over l2 × UCI weight × bigrams (plain LR) at the default
 * negation window; then the negation window at the best of those; then the estimator (NB-LR, or
 * the average of LR and NB-LR) × NB-LR's l2; then Porter-stemmed
 * unigrams added to, or replacing, the surface unigrams, each at the chosen penalty and at the
 * next one up (stems add features per word, which weakens the effective penalty; the value is
 * used for LR and NB-LR alike); then UCI weights beyond the edge of the first grid; then the
 * word-embedding block ('plain' and 'flip' at scale 1; for the better one, a larger feature scale,
 * and a stronger sparse penalty, used for LR and NB-LR alike).
 */
export const SELECTION_GRID = {
  l2: [3e-5, 1e-4, 3e-4, 1e-3],
  uciWeight: [5, 20],
  bigrams: [true, false],
  negationWindow: [2, 4, 8],
  estimator: ['nblr', 'average'],
  nbL2: [1e-4, 3e-4],
  stems: ['add', 'replace'],
  stemsL2: [1e-4, 3e-4],
  uciWeightBeyond: [50],
  embedding: ['plain', 'flip'],
  embeddingScale: [3],
  embeddingSparseL2: [3e-4],
} as const;

/**
 * Words of the embedding vocabulary: the most frequent entries of the vector file that are
 * single words and not stop words (scripts/nlp/embeddings.ts). Fixed by artifact size (one
 * scalar per word), not tuned.
 */
export const EMBEDDING_VOCABULARY = 100_000;
