import { type EmbeddingMode } from './embedding.js';
import { type FeatureOptions, type StemMode } from './features.js';
import { AFTER_CONTRAST, BEFORE_CONTRAST, buildStemIndex, type RuleLexicon } from './rules.js';
import { LANGUAGE_WORDS } from './word-lists.js';

/** The JSON artifact written by `npm run nlp:train` and read by `loadModel`. */
export const ARTIFACT_FORMAT = 'streamline.sentiment';
export const ARTIFACT_FORMAT_VERSION = 1;

export interface HyperParameters {
  /** L2 penalty on the mean weighted log-loss. */
  l2: number;
  /** Features seen in fewer training documents are dropped before fitting. */
  minDf: number;
  bigrams: boolean;
  /**
   * Porter-stemmed unigrams: 'off', 'add' (alongside the surface form) or 'replace' (instead of
   * it). Artifacts written before this option existed load as 'off'.
   */
  stems: StemMode;
  /** Negation scope length in words. */
  negationWindow: number;
  /** Scale sparse features before / after a "but" like the rules do (0.5 / 1.5). */
  contrastFeatures: boolean;
  /**
   * Training-time only. 'lr': logistic regression; 'nblr': logistic regression on naive-Bayes
   * log-count-ratio scaled features (Wang & Manning 2012); 'average': the mean of both models,
   * which is again one linear model.
   */
  estimator: 'lr' | 'nblr' | 'average';
  /** L2 penalty of the NB-LR model. */
  nbL2: number;
  /** Feed the lexicon-rule compound score to the model as a feature (the hybrid). */
  useRules: boolean;
  /**
   * Mean-of-word-vectors block (see embedding.ts): 'off', 'plain' or 'flip' (negated words enter
   * negated). Absent in artifacts written before the option existed: 'off'.
   */
  embedding?: EmbeddingMode;
  /**
   * Training-time only: the block's features are multiplied by this before fitting, which
   * divides its effective L2 penalty by its square (default 1).
   */
  embeddingScale?: number;
  /** Weights smaller than this in magnitude are pruned from the artifact. */
  pruneBelow: number;
  maxIterations: number;
}

export interface NeutralPolicy {
  /** Below this confidence (probability of the more likely polarity) the label is neutral. */
  minConfidence: number;
  /** A token bears sentiment when its contribution to the logit is at least this large. */
  minTokenWeight: number;
}

export interface ModelArtifact {
  format: typeof ARTIFACT_FORMAT;
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  modelVersion: string;
  hyperParameters: HyperParameters;
  neutral: NeutralPolicy;
  english: {
    bias: number;
    /** Weight of the rule compound score in the logistic model. */
    ruleWeight: number;
    /** Sparse feature weights (see features.ts for the keys). */
    weights: Record<string, number>;
    /**
     * The embedding block folded into one scalar per word (w · v_word); the block adds the mean
     * of the scalars of the comment's words found here. Present iff hyperParameters.embedding is
     * 'plain' or 'flip'.
     */
    wordScores?: Record<string, number>;
  };
  /**
   * Logistic calibration of the rules alone, fitted on the English training data:
   * P(positive) = σ(slope · compound + intercept). Used for Portuguese and other languages.
   */
  ruleCalibration: { slope: number; intercept: number };
  lexicons: {
    en: Record<string, number>;
    enPhrases: Record<string, number>;
    pt: Record<string, number>;
    ptPhrases: Record<string, number>;
    /** Emoji and emoticons, language-independent. */
    emoji: Record<string, number>;
  };
  /** Free-form provenance (data sources, counts, seed); never read by the classifier. */
  training: Record<string, unknown>;
}

/** An artifact turned into lookup structures, once per worker. Immutable and thread-confined. */
export interface SentimentModel {
  readonly version: string;
  readonly hyperParameters: Readonly<HyperParameters>;
  readonly neutral: Readonly<NeutralPolicy>;
  readonly bias: number;
  readonly ruleWeight: number;
  readonly weights: ReadonlyMap<string, number>;
  /** Folded embedding block: word → scalar (undefined when the model has none). */
  readonly wordScores: ReadonlyMap<string, number> | undefined;
  readonly ruleCalibration: Readonly<{ slope: number; intercept: number }>;
  readonly en: RuleLexicon;
  readonly pt: RuleLexicon;
  readonly emoji: ReadonlyMap<string, number>;
  /** Derived from the hyper-parameters once, used on every call. */
  readonly featureOptions: FeatureOptions;
}

export class ModelLoadError extends Error {
  readonly code = 'SENTIMENT.MODEL_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function numberAt(obj: Record<string, unknown>, key: string, path: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ModelLoadError(`${path}.${key} must be a finite number`);
  }
  return v;
}

function numberMap(x: unknown, path: string): Map<string, number> {
  if (!isRecord(x)) throw new ModelLoadError(`${path} must be an object`);
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(x)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ModelLoadError(`${path}[${JSON.stringify(k)}] must be a finite number`);
    }
    out.set(k, v);
  }
  return out;
}

/** Feature options implied by the hyper-parameters (shared by training and inference). */
export function featureOptionsOf(
  hyper: Pick<HyperParameters, 'bigrams' | 'contrastFeatures'> & { stems?: StemMode },
): FeatureOptions {
  const options: FeatureOptions = { bigrams: hyper.bigrams };
  if (hyper.stems !== undefined && hyper.stems !== 'off') options.stems = hyper.stems;
  if (hyper.contrastFeatures) {
    options.contrast = {
      before: BEFORE_CONTRAST,
      after: AFTER_CONTRAST,
      words: LANGUAGE_WORDS.en.contrast,
    };
  }
  return options;
}

function englishLexicon(words: Map<string, number>, phrases: Map<string, number>): RuleLexicon {
  return { words, phrases, stems: buildStemIndex(words) };
}

function section(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  if (!isRecord(v)) throw new ModelLoadError(`${key} must be an object`);
  return v;
}

/**
 * Validates an artifact (the parsed JSON, or its text) and builds the lookup maps. Throws
 * ModelLoadError (code SENTIMENT.MODEL_INVALID) on a malformed artifact: a worker must not start
 * with a broken model. Takes ~50 ms for a full-size artifact; call it once per worker.
 */
export function loadModel(artifact: unknown): SentimentModel {
  let a: unknown = artifact;
  if (typeof a === 'string') {
    try {
      a = JSON.parse(a);
    } catch (err: unknown) {
      throw new ModelLoadError(`artifact is not JSON: ${String(err)}`);
    }
  }
  if (!isRecord(a)) throw new ModelLoadError('artifact must be an object');
  if (a.format !== ARTIFACT_FORMAT) throw new ModelLoadError(`format must be ${ARTIFACT_FORMAT}`);
  if (a.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new ModelLoadError(`unsupported formatVersion ${String(a.formatVersion)}`);
  }
  if (typeof a.modelVersion !== 'string' || a.modelVersion.length === 0) {
    throw new ModelLoadError('modelVersion must be a non-empty string');
  }
  const hp = section(a, 'hyperParameters');
  const hyperParameters: HyperParameters = {
    l2: numberAt(hp, 'l2', 'hyperParameters'),
    minDf: numberAt(hp, 'minDf', 'hyperParameters'),
    bigrams: hp.bigrams === true,
    stems: hp.stems === 'add' || hp.stems === 'replace' ? hp.stems : 'off',
    negationWindow: numberAt(hp, 'negationWindow', 'hyperParameters'),
    contrastFeatures: hp.contrastFeatures === true,
    estimator: hp.estimator === 'nblr' || hp.estimator === 'average' ? hp.estimator : 'lr',
    nbL2: typeof hp.nbL2 === 'number' ? hp.nbL2 : numberAt(hp, 'l2', 'hyperParameters'),
    useRules: hp.useRules === true,
    embedding: hp.embedding === 'plain' || hp.embedding === 'flip' ? hp.embedding : 'off',
    pruneBelow: numberAt(hp, 'pruneBelow', 'hyperParameters'),
    maxIterations: numberAt(hp, 'maxIterations', 'hyperParameters'),
  };
  const neutralRaw = section(a, 'neutral');
  const english = section(a, 'english');
  const calibration = section(a, 'ruleCalibration');
  const lex = section(a, 'lexicons');
  let wordScores: Map<string, number> | undefined;
  if (hyperParameters.embedding !== 'off') {
    if (english.wordScores === undefined) {
      throw new ModelLoadError(
        `english.wordScores is required when hyperParameters.embedding is ${String(hyperParameters.embedding)}`,
      );
    }
    wordScores = numberMap(english.wordScores, 'english.wordScores');
  }
  if (typeof hp.embeddingScale === 'number') hyperParameters.embeddingScale = hp.embeddingScale;
  return {
    version: a.modelVersion,
    hyperParameters,
    neutral: {
      minConfidence: numberAt(neutralRaw, 'minConfidence', 'neutral'),
      minTokenWeight: numberAt(neutralRaw, 'minTokenWeight', 'neutral'),
    },
    bias: numberAt(english, 'bias', 'english'),
    ruleWeight: numberAt(english, 'ruleWeight', 'english'),
    weights: numberMap(english.weights, 'english.weights'),
    wordScores,
    ruleCalibration: {
      slope: numberAt(calibration, 'slope', 'ruleCalibration'),
      intercept: numberAt(calibration, 'intercept', 'ruleCalibration'),
    },
    en: englishLexicon(
      numberMap(lex.en, 'lexicons.en'),
      numberMap(lex.enPhrases, 'lexicons.enPhrases'),
    ),
    pt: {
      words: numberMap(lex.pt, 'lexicons.pt'),
      phrases: numberMap(lex.ptPhrases, 'lexicons.ptPhrases'),
    },
    emoji: numberMap(lex.emoji, 'lexicons.emoji'),
    featureOptions: featureOptionsOf(hyperParameters),
  };
}
