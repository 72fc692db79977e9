/**
 * Trains the sentiment model and writes models/sentiment-<semver>.json, models/current.json and
 * models/MODEL_CARD.md. Deterministic: a rerun on the same data writes the same bytes.
 *
 *   npm run nlp:train                     # train + cross-validated metrics for the card
 *   npm run nlp:train -- --select         # also rerun the hyper-parameter search (slow)
 *   npm run nlp:train -- --select --reuse # … reusing the rows of models/selection.json whose
 *                                         #   configuration is unchanged (same data and features)
 *   npm run nlp:train -- --no-cv          # skip cross-validation (quick)
 *   npm run nlp:train -- --s140 DIR       # Sentiment140 sample location (or NLP_S140_DIR)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { type ModelArtifact } from '../src/sentiment/domain/model.js';
import {
  CV_FOLDS,
  EMBEDDING_VOCABULARY,
  HYPERPARAMETERS,
  MODEL_SEMVER,
  SEED,
  UCI_WEIGHT,
} from './nlp/config.js';
import {
  crossValidate,
  prepareCorpus,
  TrainingSet,
  type Corpus,
  type EvalResult,
} from './nlp/cv.js';
import { loadSentiment140, loadUci, UCI_SETS, type UciSet } from './nlp/data.js';
import { EMBEDDING_FILE, loadEmbeddings, type EmbeddingSource } from './nlp/embeddings.js';
import { buildLexicons } from './nlp/lexicons.js';
import { formatMarkdown } from './nlp/format.js';
import { fmt } from './nlp/metrics.js';
import { EVAL_END, EVAL_START, renderModelCard } from './nlp/model-card.js';
import { flag, MODELS_DIR, present, sentiment140Dir, uciDir } from './nlp/paths.js';
import { selectHyperParameters, type SelectionResult } from './nlp/selection.js';

const argv = process.argv.slice(2);
const started = performance.now();
const log = (msg: string): void => {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);
};

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function main(): Promise<number> {
  const s140Dir = sentiment140Dir(argv);
  if (!present(path.join(s140Dir, 'positive.txt'), path.join(s140Dir, 'negative.txt'))) {
    console.error(
      `Sentiment140 sample not found in ${s140Dir} (positive.txt, negative.txt).\n` +
        'Pass --s140 DIR or set NLP_S140_DIR; models/MODEL_CARD.md says where to obtain it.',
    );
    return 2;
  }
  if (!present(path.join(uciDir(), 'amazon.json'))) {
    console.error(
      `UCI sentences not found in ${uciDir()}: run npm ci (devDependency "sentiment").`,
    );
    return 2;
  }

  const select = flag(argv, 'select');
  const embeddingOn = (HYPERPARAMETERS.embedding ?? 'off') !== 'off';
  const lexicons = buildLexicons();
  let embedding: EmbeddingSource | undefined;
  if (select || embeddingOn) {
    embedding = loadEmbeddings(EMBEDDING_VOCABULARY);
    log(
      `word vectors: ${embedding.table.vectors.size} words × ${embedding.table.dimensions} (${EMBEDDING_FILE})`,
    );
  }
  const uci = {} as Record<UciSet, Corpus['s140']>;
  for (const set of UCI_SETS) uci[set] = loadUci(uciDir(), set);
  const corpus: Corpus = { s140: loadSentiment140(s140Dir), uci };
  log(
    `data: Sentiment140 ${corpus.s140.length}, UCI ${UCI_SETS.map((s) => `${s} ${uci[s].length}`).join(', ')}`,
  );

  mkdirSync(MODELS_DIR, { recursive: true });
  const selectionFile = path.join(MODELS_DIR, 'selection.json');
  let selection: SelectionResult | undefined;
  if (select) {
    log('hyper-parameter search (leave-one-domain-out on the training data)');
    const reuse =
      flag(argv, 'reuse') && existsSync(selectionFile)
        ? ((s: SelectionResult) => [...s.rows, s.withoutRules])(
            JSON.parse(readFileSync(selectionFile, 'utf8')) as SelectionResult,
          )
        : [];
    selection = selectHyperParameters(corpus, lexicons.data, log, reuse, embedding?.table);
    writeFileSync(selectionFile, `${JSON.stringify(selection, null, 1)}\n`);
    const b = selection.best;
    log(
      `best: ${b.estimator} nbL2=${b.nbL2} l2=${b.l2} uciWeight=${b.uciWeight} bigrams=${b.bigrams} stems=${b.stems ?? 'off'} window=${b.negationWindow} embedding=${b.embedding ?? 'off'}×${b.embeddingScale ?? 1} mean=${b.mean}`,
    );
    if (
      b.estimator !== HYPERPARAMETERS.estimator ||
      (b.estimator !== 'lr' && b.nbL2 !== HYPERPARAMETERS.nbL2) ||
      b.l2 !== HYPERPARAMETERS.l2 ||
      b.uciWeight !== UCI_WEIGHT ||
      b.bigrams !== HYPERPARAMETERS.bigrams ||
      (b.stems ?? 'off') !== HYPERPARAMETERS.stems ||
      b.negationWindow !== HYPERPARAMETERS.negationWindow ||
      (b.embedding ?? 'off') !== (HYPERPARAMETERS.embedding ?? 'off') ||
      ((b.embedding ?? 'off') !== 'off' &&
        (b.embeddingScale ?? 1) !== (HYPERPARAMETERS.embeddingScale ?? 1))
    ) {
      console.warn(
        'note: the best setting differs from scripts/nlp/config.ts; update it and retrain.',
      );
    }
  } else if (existsSync(selectionFile)) {
    selection = JSON.parse(readFileSync(selectionFile, 'utf8')) as SelectionResult;
  }

  log('preparing features');
  const prepared = prepareCorpus(corpus, lexicons.data, HYPERPARAMETERS, embedding?.table);
  const set = new TrainingSet(prepared.embedding).add(prepared.s140, corpus.s140, 1);
  for (const u of UCI_SETS) set.add(prepared.uci[u], corpus.uci[u], UCI_WEIGHT);
  log(`training on ${set.docs.length} examples`);
  // The vectors' provenance, recorded in the artifact and on the model card.
  const wordVectors =
    embeddingOn && embedding !== undefined
      ? { file: embedding.file, sha256: embedding.sha256, words: embedding.table.vectors.size }
      : undefined;
  const trained = set.train(lexicons.data, HYPERPARAMETERS, 'pending');
  const artifact: ModelArtifact = {
    ...trained,
    training: {
      seed: SEED,
      uciWeight: UCI_WEIGHT,
      sources: {
        sentiment140: {
          rows: corpus.s140.length,
          origin: 'Sentiment140 100k sample (not in repo)',
        },
        uci: Object.fromEntries(UCI_SETS.map((u) => [u, uci[u].length])),
        lexicons: lexicons.files,
        ...(wordVectors !== undefined ? { wordVectors } : {}),
      },
      ...trained.training,
    },
  };
  // The version names the content: semver + hash of everything else.
  const contentHash = sha256(JSON.stringify({ ...artifact, modelVersion: '' })).slice(0, 8);
  artifact.modelVersion = `sentiment-${MODEL_SEMVER}+${contentHash}`;
  const file = `sentiment-${MODEL_SEMVER}.json`;
  const json = `${JSON.stringify(artifact)}\n`;
  writeFileSync(path.join(MODELS_DIR, file), json);
  const digest = sha256(json);
  writeFileSync(
    path.join(MODELS_DIR, 'current.json'),
    `${JSON.stringify({ file, modelVersion: artifact.modelVersion, sha256: digest, bytes: Buffer.byteLength(json) }, null, 2)}\n`,
  );
  log(
    `wrote models/${file}: ${artifact.modelVersion}, ${(Buffer.byteLength(json) / 1024 / 1024).toFixed(2)} MB, ` +
      `${Object.keys(artifact.english.weights).length} weights, rule weight ${artifact.english.ruleWeight}`,
  );

  let cv: Partial<Record<'s140' | UciSet, EvalResult>> | undefined;
  if (!flag(argv, 'no-cv')) {
    cv = {};
    for (const target of [...UCI_SETS, 's140'] as const) {
      log(`${CV_FOLDS}-fold cross-validation: ${target}`);
      const r = crossValidate(
        target,
        corpus,
        prepared,
        lexicons.data,
        HYPERPARAMETERS,
        UCI_WEIGHT,
        CV_FOLDS,
        SEED,
      );
      cv[target] = r;
      log(
        `  ${target}: accuracy ${fmt(r.accuracy)} weighted F1 ${fmt(r.weightedF1)} macro F1 ${fmt(r.macroF1)}`,
      );
    }
  }

  const cardFile = path.join(MODELS_DIR, 'MODEL_CARD.md');
  let evalSection: string | undefined;
  if (existsSync(cardFile)) {
    const old = readFileSync(cardFile, 'utf8');
    const a = old.indexOf(EVAL_START);
    const b = old.indexOf(EVAL_END);
    // Keep the held-out results only if they were measured on this very model.
    if (a >= 0 && b > a && old.slice(a, b).includes(artifact.modelVersion)) {
      evalSection = old.slice(a, b + EVAL_END.length);
    }
  }
  const card = renderModelCard({
    artifact,
    file,
    bytes: Buffer.byteLength(json),
    sha256: digest,
    counts: {
      s140: corpus.s140.length,
      uci: { amazon: uci.amazon.length, imdb: uci.imdb.length, yelp: uci.yelp.length },
    },
    lexiconFiles: lexicons.files,
    ...(wordVectors !== undefined && embedding !== undefined
      ? { wordVectors: { ...wordVectors, dimensions: embedding.table.dimensions } }
      : {}),
    ...(cv !== undefined ? { cv } : {}),
    ...(selection !== undefined ? { selection } : {}),
    ...(evalSection !== undefined ? { evalSection } : {}),
  });
  writeFileSync(cardFile, await formatMarkdown(card, cardFile));
  log('wrote models/MODEL_CARD.md');
  return 0;
}

process.exitCode = await main();
