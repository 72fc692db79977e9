import {
  analyze,
  type AnalyzeOptions,
  type InputIssueCode,
  type Language,
  type SentimentModel,
} from './domain/index.js';

/**
 * The per-comment work the classifier workers (and the in-process fallback) do: `analyze` on
 * the hot path, reduced to the few fields the service stores and publishes, so little crosses
 * the thread boundary. Pure; imports only the domain, so the worker bundle stays small.
 */

export interface ClassifyRequest {
  readonly text: string;
  /** Analyse as this language (a trusted `languageHint`); detection runs when absent. */
  readonly language?: Language;
}

export interface ClassifiedComment {
  readonly label: 'POSITIVE' | 'NEGATIVE' | 'NEUTRAL';
  readonly score: number;
  readonly confidence: number;
  readonly language: Language;
  /** 0 when detection found no evidence and defaulted. */
  readonly languageConfidence: number;
  readonly drivers: string[];
  /** people / places / organizations when entity extraction ran, else empty. */
  readonly entities: Record<string, string[]>;
  readonly tokenCount: number;
  /** Input conditions, in the event's vocabulary (TRUNCATED, EMPTY, HTML_STRIPPED, ...). */
  readonly flags: string[];
}

/** A comment the analyser threw on (it should not): reported per item, never a crash. */
export interface ClassifyFailure {
  readonly error: string;
}

export type ClassifyResult = ClassifiedComment | ClassifyFailure;

export interface ClassifyOptions {
  readonly maxChars: number;
  /** Run compromise's full parse for named entities (English only; slow). */
  readonly entities: boolean;
}

export function isFailure(r: ClassifyResult): r is ClassifyFailure {
  return 'error' in r;
}

/** Domain input issues → the flag names of `comment-analyzed.avsc`. */
const ISSUE_FLAGS: Readonly<Record<string, string>> = {
  'SENTIMENT.INPUT_NOT_TEXT': 'NOT_TEXT',
  'SENTIMENT.INPUT_EMPTY': 'EMPTY',
  'SENTIMENT.INPUT_TRUNCATED': 'TRUNCATED',
  'SENTIMENT.INPUT_CONTROL_CHARS': 'CONTROL_CHARS_REMOVED',
  'SENTIMENT.INPUT_INVALID_UNICODE': 'INVALID_UNICODE_REPLACED',
  'SENTIMENT.INPUT_HTML': 'HTML_STRIPPED',
};

export function issueFlag(code: InputIssueCode): string {
  return ISSUE_FLAGS[code] ?? code.replace(/^SENTIMENT\.(INPUT_)?/, '');
}

const LABELS = { positive: 'POSITIVE', negative: 'NEGATIVE', neutral: 'NEUTRAL' } as const;

export function classifyComment(
  model: SentimentModel,
  request: ClassifyRequest,
  options: ClassifyOptions,
): ClassifyResult {
  try {
    const opts: AnalyzeOptions = { maxChars: options.maxChars };
    if (request.language !== undefined) opts.language = request.language;
    if (options.entities && request.language !== 'pt' && request.language !== 'other') {
      // Entities are English-only; the parse is skipped when detection says otherwise below.
      opts.linguistics = true;
    }
    const a = analyze(model, request.text, opts);
    const flags = a.input.issues.map(issueFlag);
    if (a.languageConfidence === 0 && a.tokens.length > 0) flags.push('LANGUAGE_DEFAULTED');
    const entities: Record<string, string[]> = {};
    const found = a.linguistics?.supported === true ? a.linguistics.entities : undefined;
    if (found !== undefined) {
      entities.people = found.people;
      entities.places = found.places;
      entities.organizations = found.organizations;
    }
    return {
      label: LABELS[a.label],
      score: clamp(a.score, -1, 1),
      confidence: clamp(a.confidence, 0, 1),
      language: a.language,
      languageConfidence: a.languageConfidence,
      drivers: a.drivers.map((d) => d.text),
      entities,
      tokenCount: a.tokens.length,
      flags,
    };
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  if (!Number.isFinite(x)) return 0;
  return x < lo ? lo : x > hi ? hi : x;
}
