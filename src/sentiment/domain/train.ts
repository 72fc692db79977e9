import { forEachEmbedded, type EmbeddingMode } from './embedding.js';
import { featurize } from './features.js';
import { minimizeLbfgs } from './lbfgs.js';
import {
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  featureOptionsOf,
  type HyperParameters,
  type ModelArtifact,
  type NeutralPolicy,
} from './model.js';
import { findNegation } from './negation.js';
import { buildStemIndex, scoreRules, type RuleLexicon } from './rules.js';
import { sanitizeText } from './sanitize.js';
import { tokenize } from './tokenize.js';

/**
 * Training of the English hybrid model: L2-regularised logistic regression, fitted exactly
 * (L-BFGS, no sampling), on sparse n-gram features plus the lexicon-rule score. Pure and
 * deterministic: the same examples and hyper-parameters give the same artifact bytes.
 */

export interface TrainingExample {
  text: string;
  /** 1 = positive, 0 = negative. */
  label: 0 | 1;
  /** Sample weight in the loss (default 1). */
  weight?: number;
}

/** Lexicons as plain records, as they are stored in the artifact. */
export interface LexiconData {
  en: Record<string, number>;
  enPhrases: Record<string, number>;
  pt: Record<string, number>;
  ptPhrases: Record<string, number>;
  emoji: Record<string, number>;
}

export interface PreparedDoc {
  keys: readonly string[];
  /** Feature values parallel to keys. */
  values: readonly number[];
  /** Rule compound score in [-1, 1]. */
  compound: number;
  /** Mean word vector (embedding block; zeros when no word has a vector), when enabled. */
  dense?: Float32Array;
}

/**
 * Pre-trained word vectors for the embedding block (training only: the artifact carries the
 * fitted block folded into one scalar per word). Every vector has `dimensions` entries.
 */
export interface EmbeddingTable {
  dimensions: number;
  vectors: ReadonlyMap<string, Float32Array>;
}

export interface FitResult {
  bias: number;
  ruleWeight: number;
  weights: Map<string, number>;
  /** Weights of the embedding block on the unscaled mean vector (empty when off). */
  dense: Float64Array;
  iterations: number;
  loss: number;
  vocabularySize: number;
}

export const DEFAULT_HYPERPARAMETERS: HyperParameters = {
  l2: 1e-5,
  minDf: 2,
  bigrams: true,
  stems: 'off',
  negationWindow: 4,
  contrastFeatures: false,
  estimator: 'lr',
  nbL2: 3e-4,
  useRules: true,
  embedding: 'off',
  embeddingScale: 1,
  pruneBelow: 0.01,
  maxIterations: 300,
};

/** Additive smoothing of the naive-Bayes counts behind `nbScaling`. */
export const NB_ALPHA = 1;

export const DEFAULT_NEUTRAL_POLICY: NeutralPolicy = { minConfidence: 0.6, minTokenWeight: 0.5 };

function toMap(record: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(record));
}

export function ruleLexiconOf(data: LexiconData, language: 'en' | 'pt'): RuleLexicon {
  if (language === 'pt') return { words: toMap(data.pt), phrases: toMap(data.ptPhrases) };
  const words = toMap(data.en);
  return { words, phrases: toMap(data.enPhrases), stems: buildStemIndex(words) };
}

/** Mean of the (signed) vectors of the words that have one, as `forEachEmbedded` picks them. */
function meanVector(
  tokens: Parameters<typeof forEachEmbedded>[0],
  negated: Uint8Array,
  mode: EmbeddingMode,
  table: EmbeddingTable,
): Float32Array {
  const sum = new Float64Array(table.dimensions);
  const n = forEachEmbedded(
    tokens,
    negated,
    mode,
    (norm) => table.vectors.get(norm),
    (_, v, sign) => {
      for (let d = 0; d < sum.length; d++) sum[d] = (sum[d] ?? 0) + sign * (v[d] ?? 0);
    },
  );
  const out = new Float32Array(table.dimensions);
  if (n > 0) for (let d = 0; d < out.length; d++) out[d] = (sum[d] ?? 0) / n;
  return out;
}

/**
 * Text → features and rule score, exactly as `analyze` computes them for English. With an
 * embedding mode other than 'off', `embedding` must be given: each document also gets its mean
 * word vector.
 */
export function prepareDocs(
  texts: readonly string[],
  lexicons: LexiconData,
  hyper: Pick<HyperParameters, 'bigrams' | 'negationWindow' | 'contrastFeatures'> & {
    stems?: HyperParameters['stems'];
    embedding?: EmbeddingMode;
  },
  embedding?: EmbeddingTable,
): PreparedDoc[] {
  const en = ruleLexiconOf(lexicons, 'en');
  const emoji = toMap(lexicons.emoji);
  const options = featureOptionsOf(hyper);
  const mode = hyper.embedding ?? 'off';
  if (mode !== 'off' && embedding === undefined) {
    throw new Error(`embedding mode ${mode} needs an embedding table`);
  }
  return texts.map((raw) => {
    const tokens = tokenize(sanitizeText(raw).text);
    const { negated } = findNegation(tokens, 'en', hyper.negationWindow);
    const { keys, values } = featurize(tokens, negated, options);
    const { compound } = scoreRules(tokens, negated, 'en', en, emoji);
    if (mode === 'off' || embedding === undefined) return { keys, values, compound };
    return { keys, values, compound, dense: meanVector(tokens, negated, mode, embedding) };
  });
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Fits weighted L2 logistic regression. Objective: Σ cᵢ·log(1 + exp(−yᵢzᵢ)) / Σ cᵢ + l2/2·‖w‖²
 * (bias unpenalised), zᵢ = b + r·compoundᵢ + Σ_{f∈docᵢ} w_f.
 */
export function fitPrepared(
  docs: readonly PreparedDoc[],
  labels: ArrayLike<number>,
  sampleWeights: ArrayLike<number>,
  hyper: Pick<HyperParameters, 'l2' | 'minDf' | 'useRules' | 'maxIterations'> & {
    nbScaling: boolean;
    embedding?: EmbeddingMode;
    embeddingScale?: number;
  },
): FitResult {
  const df = new Map<string, number>();
  for (const d of docs) for (const k of d.keys) df.set(k, (df.get(k) ?? 0) + 1);
  const vocab = [...df.entries()]
    .filter(([, n]) => n >= hyper.minDf)
    .map(([k]) => k)
    .sort();
  const index = new Map<string, number>();
  vocab.forEach((k, i) => index.set(k, i));

  const offsets = new Int32Array(docs.length + 1);
  const flat: number[] = [];
  const flatValues: number[] = [];
  docs.forEach((d, i) => {
    d.keys.forEach((k, n) => {
      const j = index.get(k);
      if (j === undefined) return;
      flat.push(j);
      flatValues.push(d.values[n] ?? 1);
    });
    offsets[i + 1] = flat.length;
  });
  const cols = Int32Array.from(flat);
  const vals = Float64Array.from(flatValues);
  const V = vocab.length;
  // NB-LR (Wang & Manning 2012): scale each feature by its naive-Bayes log-count ratio, so that
  // the L2 penalty lets only class-discriminative features grow (function words stay near 0).
  // The stored weight is the effective one (w' · r), so inference is unchanged.
  const ratio = new Float64Array(V).fill(1);
  if (hyper.nbScaling) {
    const pos = new Float64Array(V).fill(NB_ALPHA);
    const neg = new Float64Array(V).fill(NB_ALPHA);
    for (let i = 0; i < docs.length; i++) {
      const target = (labels[i] ?? 0) > 0 ? pos : neg;
      const c = sampleWeights[i] ?? 1;
      for (let p = offsets[i] ?? 0; p < (offsets[i + 1] ?? 0); p++) {
        const j = cols[p] ?? 0;
        target[j] = (target[j] ?? 0) + c * (vals[p] ?? 0);
      }
    }
    let posTotal = 0;
    let negTotal = 0;
    for (let j = 0; j < V; j++) {
      posTotal += pos[j] ?? 0;
      negTotal += neg[j] ?? 0;
    }
    for (let j = 0; j < V; j++) {
      ratio[j] = Math.log((pos[j] ?? 1) / posTotal) - Math.log((neg[j] ?? 1) / negTotal);
    }
    for (let p = 0; p < vals.length; p++) vals[p] = (vals[p] ?? 0) * (ratio[cols[p] ?? 0] ?? 1);
  }
  const n = docs.length;
  // Embedding block: dense columns [2, 2 + D), scaled, never NB-scaled (values are signed).
  const D = (hyper.embedding ?? 'off') === 'off' ? 0 : (docs[0]?.dense?.length ?? 0);
  const scale = hyper.embeddingScale ?? 1;
  const dense = new Float64Array(n * D);
  for (let i = 0; i < n && D > 0; i++) {
    const v = docs[i]?.dense;
    if (v?.length !== D) throw new Error(`document ${i} has no ${D}-d embedding mean`);
    for (let d = 0; d < D; d++) dense[i * D + d] = scale * (v[d] ?? 0);
  }
  const S = 2 + D;
  const y = new Float64Array(n);
  const c = new Float64Array(n);
  const r = new Float64Array(n);
  let cTotal = 0;
  for (let i = 0; i < n; i++) {
    y[i] = (labels[i] ?? 0) > 0 ? 1 : -1;
    c[i] = sampleWeights[i] ?? 1;
    cTotal += c[i] ?? 0;
    r[i] = hyper.useRules ? (docs[i]?.compound ?? 0) : 0;
  }
  const l2 = hyper.l2;
  // Parameters: [bias, ruleWeight, e_0 .. e_{D-1}, w_0 .. w_{V-1}].
  const objective = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const b = x[0] ?? 0;
    const rw = x[1] ?? 0;
    for (let i = 0; i < n; i++) {
      let z = b + rw * (r[i] ?? 0);
      const base = i * D;
      for (let d = 0; d < D; d++) z += (x[2 + d] ?? 0) * (dense[base + d] ?? 0);
      const end = offsets[i + 1] ?? 0;
      for (let p = offsets[i] ?? 0; p < end; p++)
        z += (x[S + (cols[p] ?? 0)] ?? 0) * (vals[p] ?? 0);
      const yi = y[i] ?? 0;
      const ci = (c[i] ?? 0) / cTotal;
      loss += ci * softplus(-yi * z);
      // d/dz of log(1 + exp(-y z)) = -y σ(-y z)
      const dz = -ci * yi * sigmoid(-yi * z);
      grad[0] = (grad[0] ?? 0) + dz;
      grad[1] = (grad[1] ?? 0) + dz * (r[i] ?? 0);
      for (let d = 0; d < D; d++) grad[2 + d] = (grad[2 + d] ?? 0) + dz * (dense[base + d] ?? 0);
      for (let p = offsets[i] ?? 0; p < end; p++) {
        const j = S + (cols[p] ?? 0);
        grad[j] = (grad[j] ?? 0) + dz * (vals[p] ?? 0);
      }
    }
    for (let j = 1; j < V + S; j++) {
      const w = x[j] ?? 0;
      loss += 0.5 * l2 * w * w;
      grad[j] = (grad[j] ?? 0) + l2 * w;
    }
    if (!hyper.useRules) grad[1] = 0;
    return loss;
  };
  const result = minimizeLbfgs(objective, new Float64Array(V + S), {
    maxIterations: hyper.maxIterations,
    tolerance: 1e-9,
    memory: 10,
  });
  const weights = new Map<string, number>();
  vocab.forEach((k, i) => weights.set(k, (result.x[S + i] ?? 0) * (ratio[i] ?? 1)));
  const denseWeights = new Float64Array(D);
  for (let d = 0; d < D; d++) denseWeights[d] = (result.x[2 + d] ?? 0) * scale;
  return {
    bias: result.x[0] ?? 0,
    ruleWeight: result.x[1] ?? 0,
    weights,
    dense: denseWeights,
    iterations: result.iterations,
    loss: result.value,
    vocabularySize: V,
  };
}

/** Fits the configured estimator; 'average' fits LR and NB-LR and averages their parameters. */
export function fitEstimator(
  docs: readonly PreparedDoc[],
  labels: ArrayLike<number>,
  sampleWeights: ArrayLike<number>,
  hyper: HyperParameters,
): FitResult {
  const lr = (): FitResult =>
    fitPrepared(docs, labels, sampleWeights, { ...hyper, nbScaling: false });
  const nb = (): FitResult =>
    fitPrepared(docs, labels, sampleWeights, { ...hyper, l2: hyper.nbL2, nbScaling: true });
  if (hyper.estimator === 'lr') return lr();
  if (hyper.estimator === 'nblr') return nb();
  const a = lr();
  const b = nb();
  const weights = new Map<string, number>();
  for (const [k, w] of a.weights) weights.set(k, w / 2);
  for (const [k, w] of b.weights) weights.set(k, (weights.get(k) ?? 0) + w / 2);
  return {
    bias: (a.bias + b.bias) / 2,
    ruleWeight: (a.ruleWeight + b.ruleWeight) / 2,
    weights,
    dense: a.dense.map((w, d) => (w + (b.dense[d] ?? 0)) / 2),
    iterations: a.iterations + b.iterations,
    loss: (a.loss + b.loss) / 2,
    vocabularySize: a.vocabularySize,
  };
}

/** Logistic calibration of the rule score alone: P(positive) = σ(slope · compound + intercept). */
export function calibrateRules(
  compounds: ArrayLike<number>,
  labels: ArrayLike<number>,
  sampleWeights: ArrayLike<number>,
): { slope: number; intercept: number } {
  const n = compounds.length;
  let cTotal = 0;
  for (let i = 0; i < n; i++) cTotal += sampleWeights[i] ?? 1;
  const objective = (x: Float64Array, grad: Float64Array): number => {
    let loss = 0;
    let g0 = 0;
    let g1 = 0;
    for (let i = 0; i < n; i++) {
      // Texts without lexicon evidence say nothing about the slope; they only fit the intercept.
      const s = compounds[i] ?? 0;
      const yi = (labels[i] ?? 0) > 0 ? 1 : -1;
      const ci = (sampleWeights[i] ?? 1) / cTotal;
      const z = (x[0] ?? 0) + (x[1] ?? 0) * s;
      loss += ci * softplus(-yi * z);
      const dz = -ci * yi * sigmoid(-yi * z);
      g0 += dz;
      g1 += dz * s;
    }
    grad[0] = g0;
    grad[1] = g1;
    return loss;
  };
  const { x } = minimizeLbfgs(objective, new Float64Array(2), {
    maxIterations: 100,
    tolerance: 1e-12,
    memory: 5,
  });
  return { intercept: x[0] ?? 0, slope: x[1] ?? 0 };
}

export function roundWeight(w: number): number {
  const r = Math.round(w * 10_000) / 10_000;
  return Object.is(r, -0) ? 0 : r;
}

function sortedRecord(entries: Iterable<readonly [string, number]>): Record<string, number> {
  const list = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, number> = {};
  for (const [k, v] of list) out[k] = v;
  return out;
}

export interface TrainMeta {
  modelVersion: string;
  neutral?: NeutralPolicy;
  /** Provenance copied into the artifact (sources, counts, seed). */
  training?: Record<string, unknown>;
}

/**
 * The embedding block folded into one scalar per word of the table: s = w · v (rounded like the
 * weights, never pruned: a word's presence counts in the mean's denominator).
 */
export function foldEmbedding(dense: Float64Array, table: EmbeddingTable): Map<string, number> {
  const out = new Map<string, number>();
  for (const [word, v] of table.vectors) {
    let s = 0;
    for (let d = 0; d < dense.length; d++) s += (dense[d] ?? 0) * (v[d] ?? 0);
    out.set(word, roundWeight(s));
  }
  return out;
}

/**
 * Packs a fit, the rule calibration and the lexicons into an artifact (pruned, rounded, sorted).
 * `embedding`: the table the fit's embedding block was trained on (required when it is on).
 */
export function buildArtifact(
  fit: FitResult,
  calibration: { slope: number; intercept: number },
  lexicons: LexiconData,
  hyper: HyperParameters,
  meta: TrainMeta,
  embedding?: EmbeddingTable,
): ModelArtifact {
  const kept: [string, number][] = [];
  for (const [k, w] of fit.weights) {
    const rw = roundWeight(w);
    if (Math.abs(rw) >= hyper.pruneBelow) kept.push([k, rw]);
  }
  const mode = hyper.embedding ?? 'off';
  let wordScores: Record<string, number> | undefined;
  if (mode !== 'off') {
    if (embedding === undefined) throw new Error(`embedding mode ${mode} needs its table`);
    wordScores = sortedRecord(foldEmbedding(fit.dense, embedding));
  }
  return {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    modelVersion: meta.modelVersion,
    hyperParameters: { ...hyper },
    neutral: { ...(meta.neutral ?? DEFAULT_NEUTRAL_POLICY) },
    english: {
      bias: roundWeight(fit.bias),
      ruleWeight: roundWeight(fit.ruleWeight),
      weights: sortedRecord(kept),
      ...(wordScores !== undefined ? { wordScores } : {}),
    },
    ruleCalibration: {
      slope: roundWeight(calibration.slope),
      intercept: roundWeight(calibration.intercept),
    },
    lexicons: {
      en: sortedRecord(Object.entries(lexicons.en)),
      enPhrases: sortedRecord(Object.entries(lexicons.enPhrases)),
      pt: sortedRecord(Object.entries(lexicons.pt)),
      ptPhrases: sortedRecord(Object.entries(lexicons.ptPhrases)),
      emoji: sortedRecord(Object.entries(lexicons.emoji)),
    },
    training: {
      ...(meta.training ?? {}),
      vocabularyBeforePruning: fit.vocabularySize,
      featuresKept: kept.length,
      iterations: fit.iterations,
      trainingLoss: roundWeight(fit.loss),
    },
  };
}

/** Fits the model and the rule calibration on prepared documents and packs the artifact. */
export function trainPrepared(
  docs: readonly PreparedDoc[],
  labels: ArrayLike<number>,
  sampleWeights: ArrayLike<number>,
  lexicons: LexiconData,
  hyper: HyperParameters,
  meta: TrainMeta,
  embedding?: EmbeddingTable,
): ModelArtifact {
  const fit = fitEstimator(docs, labels, sampleWeights, hyper);
  const calibration = calibrateRules(
    docs.map((d) => d.compound),
    labels,
    sampleWeights,
  );
  return buildArtifact(fit, calibration, lexicons, hyper, meta, embedding);
}

/** Trains the English hybrid model from raw examples and packs it with the lexicons. */
export function trainModel(
  examples: readonly TrainingExample[],
  lexicons: LexiconData,
  hyper: HyperParameters,
  meta: TrainMeta,
  embedding?: EmbeddingTable,
): ModelArtifact {
  const docs = prepareDocs(
    examples.map((e) => e.text),
    lexicons,
    hyper,
    embedding,
  );
  return trainPrepared(
    docs,
    examples.map((e) => e.label),
    examples.map((e) => e.weight ?? 1),
    lexicons,
    hyper,
    meta,
    embedding,
  );
}
