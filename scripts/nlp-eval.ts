/**
 * Evaluates the current model (models/current.json) and prints one table:
 *  - SST-2 dev, English and Portuguese: held-out, never trained or tuned on;
 *  - UCI Amazon / IMDB / Yelp: these are training data, so k-fold cross-validation, retraining
 *    the model per fold without that fold (needs the Sentiment140 sample too).
 * Skips with a message when the shared eval data is absent.
 *
 *   npm run nlp:eval
 *   npm run nlp:eval -- --eval-data DIR    # or NLP_EVAL_DATA; default ../shared/eval-data
 *   npm run nlp:eval -- --update-card      # also write the table into models/MODEL_CARD.md
 *   npm run nlp:eval -- --no-cv            # SST-2 only (quick)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { analyze } from '../src/sentiment/domain/analyze.js';
import { loadModel, type ModelArtifact } from '../src/sentiment/domain/model.js';
import { CV_FOLDS, EMBEDDING_VOCABULARY, HYPERPARAMETERS, SEED, UCI_WEIGHT } from './nlp/config.js';
import { crossValidate, evaluateArtifact, prepareCorpus, type EvalResult } from './nlp/cv.js';
import {
  loadSentiment140,
  loadTsv,
  loadUci,
  UCI_SETS,
  type LabelledText,
  type UciSet,
} from './nlp/data.js';
import { loadEmbeddings } from './nlp/embeddings.js';
import { buildLexicons } from './nlp/lexicons.js';
import { formatMarkdown } from './nlp/format.js';
import { binaryMetrics, fmt } from './nlp/metrics.js';
import { EVAL_END, EVAL_START } from './nlp/model-card.js';
import { evalDataDir, flag, MODELS_DIR, present, sentiment140Dir, uciDir } from './nlp/paths.js';

const argv = process.argv.slice(2);

interface Row {
  dataset: string;
  result: EvalResult;
  protocol: string;
  target: string;
}

function loadCurrent(): ModelArtifact {
  const current = JSON.parse(readFileSync(path.join(MODELS_DIR, 'current.json'), 'utf8')) as {
    file: string;
  };
  return JSON.parse(readFileSync(path.join(MODELS_DIR, current.file), 'utf8')) as ModelArtifact;
}

function languages(r: EvalResult): string {
  return Object.entries(r.languages)
    .sort((a, b) => b[1] - a[1])
    .map(([l, share]) => `${l} ${(share * 100).toFixed(0)}%`)
    .join(', ');
}

function table(rows: readonly Row[]): string {
  const head = [
    'dataset',
    'n',
    'accuracy',
    'weighted F1',
    'macro F1',
    'target acc.',
    'neutral',
    'detected',
    'protocol',
  ];
  const body = rows.map((r) => [
    r.dataset,
    String(r.result.n),
    fmt(r.result.accuracy),
    fmt(r.result.weightedF1),
    fmt(r.result.macroF1),
    r.target,
    `${(r.result.neutralShare * 100).toFixed(0)}%`,
    languages(r.result),
    r.protocol,
  ]);
  const all = [head, ...body];
  const widths = head.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

/** The rules alone (sign of the VADER-style compound), as a lexicon-tool baseline. */
function rulesOnly(artifact: ModelArtifact, texts: readonly LabelledText[]): number {
  const model = loadModel({
    ...artifact,
    hyperParameters: { ...artifact.hyperParameters, useRules: true },
  });
  const ruleModel = {
    ...model,
    weights: new Map<string, number>(),
    wordScores: undefined,
    bias: 0,
    ruleWeight: 1,
  };
  const predicted = texts.map((t) => (analyze(ruleModel, t.text).score >= 0 ? 1 : 0));
  return binaryMetrics(
    texts.map((t) => t.label),
    predicted,
  ).accuracy;
}

async function main(): Promise<number> {
  const dir = evalDataDir(argv);
  const sstEn = path.join(dir, 'sst2', 'sst2_dev_en.tsv');
  const sstPt = path.join(dir, 'sst2', 'sst2_dev_pt.tsv');
  if (!present(sstEn, sstPt)) {
    console.log(
      `SKIPPED: evaluation data not found at ${dir} (need sst2/sst2_dev_en.tsv, sst2/sst2_dev_pt.tsv).\n` +
        'Pass --eval-data DIR or set NLP_EVAL_DATA to run the evaluation.',
    );
    return 0;
  }
  const artifact = loadCurrent();
  console.log(`model ${artifact.modelVersion}; eval data ${dir}`);
  const rows: Row[] = [];
  const en = loadTsv(sstEn);
  const pt = loadTsv(sstPt);
  rows.push({
    dataset: 'SST-2 dev (en)',
    result: evaluateArtifact(artifact, en),
    protocol: 'held-out, never trained/tuned on',
    target: '≥ 0.760',
  });
  rows.push({
    dataset: 'SST-2 dev (pt)',
    result: evaluateArtifact(artifact, pt),
    protocol: 'held-out, never trained/tuned on; pt lexicon + rules',
    target: '≥ 0.700',
  });

  const targets: Record<UciSet, string> = { amazon: '≥ 0.818', imdb: '≥ 0.782', yelp: '≥ 0.731' };
  const s140Dir = sentiment140Dir(argv);
  const canCv = present(path.join(s140Dir, 'positive.txt'), path.join(uciDir(), 'amazon.json'));
  if (flag(argv, 'no-cv')) {
    console.log('UCI rows skipped (--no-cv).');
  } else if (!canCv) {
    console.log(
      `UCI rows SKIPPED: cross-validation needs the training data (${s140Dir}, ${uciDir()}).`,
    );
  } else {
    const lexicons = buildLexicons().data;
    const uci = {} as Record<UciSet, LabelledText[]>;
    for (const set of UCI_SETS) uci[set] = loadUci(uciDir(), set);
    const corpus = { s140: loadSentiment140(s140Dir), uci };
    const embedding =
      (HYPERPARAMETERS.embedding ?? 'off') !== 'off'
        ? loadEmbeddings(EMBEDDING_VOCABULARY).table
        : undefined;
    const prepared = prepareCorpus(corpus, lexicons, HYPERPARAMETERS, embedding);
    for (const set of UCI_SETS) {
      console.log(`cross-validating UCI ${set} (${CV_FOLDS} folds, retrained per fold)…`);
      rows.push({
        dataset: `UCI ${set}`,
        result: crossValidate(
          set,
          corpus,
          prepared,
          lexicons,
          HYPERPARAMETERS,
          UCI_WEIGHT,
          CV_FOLDS,
          SEED,
        ),
        protocol: `${CV_FOLDS}-fold CV, retrained per fold without it (set is in training data)`,
        target: targets[set],
      });
    }
  }

  const baseline =
    'English lexicon-rules-only baseline (sign of the VADER-style score, same lexicons, no ' +
    `trained weights): SST-2 en ${fmt(rulesOnly(artifact, en))}.`;
  const out = [
    table(rows),
    '',
    'Binary mapping: positive iff score ≥ 0 (score = 2·P(positive) − 1); "neutral" = share labelled neutral, counted by sign.',
    baseline,
  ].join('\n');
  console.log(`\n${out}`);

  if (flag(argv, 'update-card')) {
    const cardFile = path.join(MODELS_DIR, 'MODEL_CARD.md');
    const card = readFileSync(cardFile, 'utf8');
    const a = card.indexOf(EVAL_START);
    const b = card.indexOf(EVAL_END);
    if (a < 0 || b < a) {
      console.error('MODEL_CARD.md has no evaluation markers; retrain to regenerate it.');
      return 1;
    }
    const section = `${EVAL_START}\nMeasured on \`${artifact.modelVersion}\`:\n\n${out}\n${EVAL_END}`;
    const updated = card.slice(0, a) + section + card.slice(b + EVAL_END.length);
    writeFileSync(cardFile, await formatMarkdown(updated, cardFile));
    console.log('updated models/MODEL_CARD.md');
  }
  return 0;
}

process.exitCode = await main();
