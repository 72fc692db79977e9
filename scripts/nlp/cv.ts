import { analyze } from '../../src/sentiment/domain/analyze.js';
import { type Language } from '../../src/sentiment/domain/language.js';
import {
  loadModel,
  type HyperParameters,
  type ModelArtifact,
} from '../../src/sentiment/domain/model.js';
import {
  prepareDocs,
  trainPrepared,
  type EmbeddingTable,
  type LexiconData,
  type PreparedDoc,
} from '../../src/sentiment/domain/train.js';
import { NEUTRAL_POLICY } from './config.js';
import { stratifiedFolds, UCI_SETS, type LabelledText, type UciSet } from './data.js';
import { binaryMetrics, type BinaryMetrics } from './metrics.js';

export interface Corpus {
  s140: LabelledText[];
  uci: Record<UciSet, LabelledText[]>;
}

export interface PreparedCorpus {
  s140: PreparedDoc[];
  uci: Record<UciSet, PreparedDoc[]>;
  /** The word vectors the documents' embedding means were computed from (when enabled). */
  embedding?: EmbeddingTable;
}

export interface EvalResult extends BinaryMetrics {
  /** Share of texts per detected language. */
  languages: Partial<Record<Language, number>>;
  /** Share of texts labelled neutral (they still count by the sign of their score). */
  neutralShare: number;
}

export function prepareCorpus(
  corpus: Corpus,
  lexicons: LexiconData,
  hyper: Pick<
    HyperParameters,
    'bigrams' | 'stems' | 'negationWindow' | 'contrastFeatures' | 'embedding'
  >,
  embedding?: EmbeddingTable,
): PreparedCorpus {
  const table = (hyper.embedding ?? 'off') === 'off' ? undefined : embedding;
  const uci = {} as Record<UciSet, PreparedDoc[]>;
  for (const set of UCI_SETS) {
    uci[set] = prepareDocs(
      corpus.uci[set].map((x) => x.text),
      lexicons,
      hyper,
      table,
    );
  }
  return {
    s140: prepareDocs(
      corpus.s140.map((x) => x.text),
      lexicons,
      hyper,
      table,
    ),
    uci,
    ...(table !== undefined ? { embedding: table } : {}),
  };
}

/** Training rows assembled from parts, each part with its own loss weight. */
export class TrainingSet {
  readonly docs: PreparedDoc[] = [];
  readonly labels: number[] = [];
  readonly weights: number[] = [];

  /** `embedding`: the vectors the documents were prepared with (folded into the artifact). */
  constructor(private readonly embedding?: EmbeddingTable) {}

  add(
    docs: readonly PreparedDoc[],
    texts: readonly LabelledText[],
    weight: number,
    keep?: (i: number) => boolean,
  ): this {
    for (let i = 0; i < docs.length; i++) {
      if (keep !== undefined && !keep(i)) continue;
      const d = docs[i];
      const t = texts[i];
      if (d === undefined || t === undefined) continue;
      this.docs.push(d);
      this.labels.push(t.label);
      this.weights.push(weight);
    }
    return this;
  }

  train(lexicons: LexiconData, hyper: HyperParameters, modelVersion: string): ModelArtifact {
    return trainPrepared(
      this.docs,
      this.labels,
      this.weights,
      lexicons,
      hyper,
      { modelVersion, neutral: NEUTRAL_POLICY },
      this.embedding,
    );
  }
}

/**
 * Binary evaluation through the production path (`analyze`, language auto-detected): positive
 * when score ≥ 0. `score` is 2·P(positive) − 1, so this is the arg-max decision; neutral labels
 * count by the sign of their score, as the dev sets have no neutral class.
 */
export function predictBinary(
  artifact: ModelArtifact,
  texts: readonly LabelledText[],
): {
  predicted: number[];
  languages: Language[];
  neutral: number;
} {
  const model = loadModel(artifact);
  const predicted: number[] = [];
  const languages: Language[] = [];
  let neutral = 0;
  for (const t of texts) {
    const a = analyze(model, t.text);
    predicted.push(a.score >= 0 ? 1 : 0);
    languages.push(a.language);
    if (a.label === 'neutral') neutral += 1;
  }
  return { predicted, languages, neutral };
}

export function evaluate(
  gold: readonly LabelledText[],
  predicted: readonly number[],
  languages: readonly Language[],
  neutral: number,
): EvalResult {
  const metrics = binaryMetrics(
    gold.map((g) => g.label),
    predicted,
  );
  const counts: Partial<Record<Language, number>> = {};
  for (const l of languages) counts[l] = (counts[l] ?? 0) + 1;
  for (const k of Object.keys(counts) as Language[]) counts[k] = (counts[k] ?? 0) / gold.length;
  return { ...metrics, languages: counts, neutralShare: neutral / Math.max(1, gold.length) };
}

export function evaluateArtifact(
  artifact: ModelArtifact,
  texts: readonly LabelledText[],
): EvalResult {
  const p = predictBinary(artifact, texts);
  return evaluate(texts, p.predicted, p.languages, p.neutral);
}

/**
 * k-fold cross-validation of one training set: for each fold, retrain on everything else (all
 * other training data plus the other folds) and predict the fold; metrics over all folds pooled.
 */
export function crossValidate(
  target: 's140' | UciSet,
  corpus: Corpus,
  prepared: PreparedCorpus,
  lexicons: LexiconData,
  hyper: HyperParameters,
  uciWeight: number,
  k: number,
  seed: number,
  log: (msg: string) => void = () => undefined,
): EvalResult {
  const texts = target === 's140' ? corpus.s140 : corpus.uci[target];
  const folds = stratifiedFolds(
    texts.map((t) => t.label),
    k,
    seed,
  );
  const predicted = new Array<number>(texts.length).fill(0);
  const languages = new Array<Language>(texts.length).fill('en');
  let neutral = 0;
  for (let f = 0; f < k; f++) {
    const set = new TrainingSet(prepared.embedding);
    set.add(prepared.s140, corpus.s140, 1, target === 's140' ? (i) => folds[i] !== f : undefined);
    for (const u of UCI_SETS) {
      set.add(
        prepared.uci[u],
        corpus.uci[u],
        uciWeight,
        u === target ? (i) => folds[i] !== f : undefined,
      );
    }
    const artifact = set.train(lexicons, hyper, `cv-${target}-${f}`);
    const heldIdx = texts.flatMap((_, i) => (folds[i] === f ? [i] : []));
    const p = predictBinary(
      artifact,
      heldIdx.map((i) => texts[i] as LabelledText),
    );
    heldIdx.forEach((i, n) => {
      predicted[i] = p.predicted[n] ?? 0;
      languages[i] = p.languages[n] ?? 'en';
    });
    neutral += p.neutral;
    log(`  ${target} fold ${f + 1}/${k} done`);
  }
  return evaluate(texts, predicted, languages, neutral);
}

/**
 * Cross-domain estimate used for model selection: train on Sentiment140 plus two UCI domains,
 * test on the third; and train on 80% of Sentiment140 plus all UCI, test on the other 20%.
 */
export function leaveOneDomainOut(
  corpus: Corpus,
  prepared: PreparedCorpus,
  lexicons: LexiconData,
  hyper: HyperParameters,
  uciWeight: number,
  seed: number,
): Record<'s140' | UciSet, number> {
  const out = {} as Record<'s140' | UciSet, number>;
  for (const held of UCI_SETS) {
    const set = new TrainingSet(prepared.embedding).add(prepared.s140, corpus.s140, 1);
    for (const u of UCI_SETS) if (u !== held) set.add(prepared.uci[u], corpus.uci[u], uciWeight);
    out[held] = evaluateArtifact(
      set.train(lexicons, hyper, `lodo-${held}`),
      corpus.uci[held],
    ).accuracy;
  }
  const folds = stratifiedFolds(
    corpus.s140.map((t) => t.label),
    5,
    seed,
  );
  const set = new TrainingSet(prepared.embedding).add(
    prepared.s140,
    corpus.s140,
    1,
    (i) => folds[i] !== 0,
  );
  for (const u of UCI_SETS) set.add(prepared.uci[u], corpus.uci[u], uciWeight);
  out.s140 = evaluateArtifact(
    set.train(lexicons, hyper, 'lodo-s140'),
    corpus.s140.filter((_, i) => folds[i] === 0),
  ).accuracy;
  return out;
}
