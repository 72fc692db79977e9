import { forEachEmbedded } from './embedding.js';
import { featurize } from './features.js';
import { type Language } from './language.js';
import { type SentimentModel } from './model.js';
import { scoreRules, type RuleLexicon, type RuleScore } from './rules.js';
import { type Token } from './tokenize.js';

export type SentimentLabel = 'positive' | 'negative' | 'neutral';

/** A token that pushed the decision, with its signed contribution to the log-odds. */
export interface Driver {
  /** Token index in `Analysis.tokens`. */
  index: number;
  text: string;
  norm: string;
  /** Contribution to log-odds of "positive" (> 0 pushes positive). */
  weight: number;
}

export interface Classification {
  label: SentimentLabel;
  /** 2·P(positive) − 1, in [-1, 1]. */
  score: number;
  /** Probability of the more likely polarity, in [0.5, 1]. */
  confidence: number;
  /** Why the label is neutral, when it is. */
  neutralReason?: 'NO_SENTIMENT_TOKENS' | 'LOW_CONFIDENCE';
  drivers: Driver[];
  /** Which scorer produced it: the hybrid model (English) or calibrated rules (others). */
  method: 'hybrid' | 'rules';
}

const DRIVERS_MAX = 5;
const EMPTY_LEXICON: RuleLexicon = { words: new Map(), phrases: new Map() };

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Spreads the rule term (weight · compound) over the tokens in proportion to their valence. */
function addRuleShares(tokenWeight: Float64Array, rules: RuleScore, factor: number): void {
  if (rules.sum === 0) return;
  const total = factor * rules.compound;
  for (let i = 0; i < rules.contributions.length; i++) {
    const c = rules.contributions[i] ?? 0;
    if (c !== 0) tokenWeight[i] = (tokenWeight[i] ?? 0) + (total * c) / rules.sum;
  }
}

function decide(
  model: SentimentModel,
  tokens: readonly Token[],
  logit: number,
  tokenWeight: Float64Array,
  rules: RuleScore,
  method: Classification['method'],
): Classification {
  const p = sigmoid(logit);
  const confidence = Math.max(p, 1 - p);
  let bearing = rules.hits > 0;
  if (!bearing) {
    for (const w of tokenWeight) {
      if (Math.abs(w) >= model.neutral.minTokenWeight) {
        bearing = true;
        break;
      }
    }
  }
  let label: SentimentLabel = p >= 0.5 ? 'positive' : 'negative';
  let neutralReason: Classification['neutralReason'];
  if (!bearing) {
    label = 'neutral';
    neutralReason = 'NO_SENTIMENT_TOKENS';
  } else if (confidence < model.neutral.minConfidence) {
    label = 'neutral';
    neutralReason = 'LOW_CONFIDENCE';
  }

  const candidates: Driver[] = [];
  for (let i = 0; i < tokenWeight.length; i++) {
    const w = tokenWeight[i] ?? 0;
    if (w === 0) continue;
    if (label === 'positive' && w <= 0) continue;
    if (label === 'negative' && w >= 0) continue;
    const t = tokens[i];
    if (t === undefined) continue;
    candidates.push({ index: i, text: t.text, norm: t.norm, weight: round4(w) });
  }
  candidates.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.index - b.index);

  const result: Classification = {
    label,
    score: round4(2 * p - 1),
    confidence: round4(confidence),
    drivers: candidates.slice(0, DRIVERS_MAX),
    method,
  };
  if (neutralReason !== undefined) result.neutralReason = neutralReason;
  return result;
}

/**
 * English: the hybrid. Log-odds = bias + Σ sparse feature weights (unigrams with negation
 * marking, bigrams) + mean of the words' embedding scalars (when the model has them) +
 * ruleWeight · rule compound (lexicon with negation, intensifiers, "but",
 * caps, "!!!", emoji). Portuguese: the Portuguese lexicon through the same rules, calibrated by
 * a logistic fit of the rules on the English training data. Other languages: emoji and
 * emoticons only.
 */
export function classifyTokens(
  model: SentimentModel,
  tokens: readonly Token[],
  negated: Uint8Array,
  language: Language,
): Classification {
  const tokenWeight = new Float64Array(tokens.length);
  if (language === 'en') {
    const rules = scoreRules(tokens, negated, 'en', model.en, model.emoji);
    let logit = model.bias;
    const features = featurize(tokens, negated, model.featureOptions);
    for (let k = 0; k < features.keys.length; k++) {
      const weight = model.weights.get(features.keys[k] ?? '');
      if (weight === undefined) continue;
      const w = weight * (features.values[k] ?? 1);
      logit += w;
      const at = features.tokenOf[k] ?? 0;
      tokenWeight[at] = (tokenWeight[at] ?? 0) + w;
    }
    const scores = model.wordScores;
    if (scores !== undefined) {
      // Embedding block, folded: the mean of the found words' scalars (one lookup per token).
      const picked: number[] = [];
      const n = forEachEmbedded(
        tokens,
        negated,
        model.hyperParameters.embedding ?? 'off',
        (norm) => scores.get(norm),
        (index, s, sign) => {
          picked.push(index, sign * s);
        },
      );
      for (let p = 0; p < picked.length; p += 2) {
        const at = picked[p] ?? 0;
        const w = (picked[p + 1] ?? 0) / n;
        logit += w;
        tokenWeight[at] = (tokenWeight[at] ?? 0) + w;
      }
    }
    if (model.hyperParameters.useRules) {
      logit += model.ruleWeight * rules.compound;
      addRuleShares(tokenWeight, rules, model.ruleWeight);
    }
    return decide(model, tokens, logit, tokenWeight, rules, 'hybrid');
  }
  const lexicon = language === 'pt' ? model.pt : EMPTY_LEXICON;
  const rules = scoreRules(tokens, negated, language === 'pt' ? 'pt' : 'en', lexicon, model.emoji);
  const { slope, intercept } = model.ruleCalibration;
  // No lexicon evidence → compound 0 → the intercept, i.e. the training data's prior.
  const logit = slope * rules.compound + intercept;
  addRuleShares(tokenWeight, rules, slope);
  return decide(model, tokens, logit, tokenWeight, rules, 'rules');
}
