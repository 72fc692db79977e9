import { hash } from 'node:crypto';
import { type CommentAnalyzed, type CommentSubmitted } from '../platform/schemas/generated.js';
import { type ClassifiedComment, type ClassifyRequest } from './comment-classifier.js';
import { type Language } from './domain/index.js';

/**
 * Pure mapping between the topics and the classifier: which submitted comments can be analysed
 * at all, what the classifier is asked, and the `comments.analyzed` record it becomes.
 */

/** Dead-letter reason for a comment that cannot be analysed or stored at all. */
export const INVALID_COMMENT = 'VALIDATION.INVALID';
/** Dead-letter reason for a comment the analyser failed on (a bug, never expected). */
export const ANALYSIS_FAILED = 'SENTIMENT.ANALYSIS_FAILED';
/** Dead-letter reason for a comment whose analysis overran SENTIMENT_TASK_TIMEOUT_MS. */
export const ANALYSIS_TIMEOUT = 'SENTIMENT.ANALYSIS_TIMEOUT';

export const LIMITS = {
  /** Longest commentId (it is the key of the analysis). */
  commentIdLength: 256,
  /** Longest source kept; longer is cut and flagged SOURCE_TRUNCATED. */
  sourceLength: 128,
  /** submittedAt must lie in [0, year 9999] to be stored and bucketed. */
  maxTimestampMs: 253_402_300_799_999,
} as const;

/** Source recorded for a comment whose source is empty or only whitespace. */
export const UNKNOWN_SOURCE = 'unknown';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL_RE = /[\u0000-\u001F\u007F-\u009F]/g;
// eslint-disable-next-line no-control-regex -- detecting control characters is the point
const HAS_CONTROL_RE = /[\u0000-\u001F\u007F-\u009F]/;
const ISO_639_1 = /^[a-z]{2}$/;
/** A UTF-16 surrogate without its pair: not storable in PostgreSQL text or JSON. */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES_RE = new RegExp(LONE_SURROGATE_RE.source, 'g');

/** A submitted comment that can be analysed, with what the classifier gets. */
export interface PreparedComment {
  readonly commentId: string;
  readonly requestEventId: string;
  readonly source: string;
  readonly submittedAt: number;
  readonly request: ClassifyRequest;
  /** Reported language when the hint names one the classifier does not model (e.g. "es"). */
  readonly hintedLanguage: string | undefined;
  /** Flags decided before classification (SOURCE_TRUNCATED, LANGUAGE_HINT_IGNORED, ...). */
  readonly flags: readonly string[];
}

export type Preparation =
  | { readonly ok: true; readonly comment: PreparedComment }
  | { readonly ok: false; readonly reasonCode: string; readonly error: string };

/**
 * Checks what an analysis cannot do without (an id to key it by, a UUID request id, a storable
 * timestamp) and normalises the rest (source, language hint, oversized text) with flags. The
 * text itself is never a reason to refuse: bad text gets a result with flags.
 */
export function prepareComment(value: CommentSubmitted, maxChars: number): Preparation {
  const problems: string[] = [];
  const commentId = typeof value.commentId === 'string' ? value.commentId : '';
  if (commentId.trim().length === 0) problems.push('commentId: must not be empty');
  else if (commentId.length > LIMITS.commentIdLength)
    problems.push(`commentId: longer than ${LIMITS.commentIdLength} characters`);
  else if (HAS_CONTROL_RE.test(commentId) || LONE_SURROGATE_RE.test(commentId))
    problems.push('commentId: contains control characters or broken Unicode');
  if (typeof value.eventId !== 'string' || !UUID_RE.test(value.eventId))
    problems.push('eventId: must be a UUID');
  const submittedAt = value.submittedAt;
  if (
    typeof submittedAt !== 'number' ||
    !Number.isSafeInteger(submittedAt) ||
    submittedAt < 0 ||
    submittedAt > LIMITS.maxTimestampMs
  )
    problems.push('submittedAt: must be epoch milliseconds between 1970 and 9999');
  if (problems.length > 0) {
    return { ok: false, reasonCode: INVALID_COMMENT, error: problems.join('; ') };
  }

  const flags: string[] = [];
  let source = (typeof value.source === 'string' ? value.source : '')
    .replace(CONTROL_RE, ' ')
    .replace(LONE_SURROGATES_RE, '\uFFFD')
    .trim();
  if (source.length === 0) {
    source = UNKNOWN_SOURCE;
    flags.push('SOURCE_MISSING');
  } else if (source.length > LIMITS.sourceLength) {
    source = cutAt(source, LIMITS.sourceLength);
    flags.push('SOURCE_TRUNCATED');
  }

  const { language, hintedLanguage, ignored } = languageFromHint(value.languageHint);
  if (ignored) flags.push('LANGUAGE_HINT_IGNORED');

  // The analyser cuts at maxChars after cleaning (and flags it); cutting the raw text at a
  // generous multiple first keeps a megabyte comment from being copied to a worker whole.
  let text = typeof value.text === 'string' ? value.text : '';
  const rawCap = maxChars * 4;
  if (text.length > rawCap) {
    text = cutAt(text, rawCap);
    flags.push('TRUNCATED');
  }
  const request: ClassifyRequest = language === undefined ? { text } : { text, language };
  return {
    ok: true,
    comment: {
      commentId,
      requestEventId: value.eventId.toLowerCase(),
      source,
      submittedAt,
      request,
      hintedLanguage,
      flags,
    },
  };
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutAt(s: string, max: number): string {
  let end = max;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return s.slice(0, end);
}

/**
 * `languageHint` → what the classifier is told. en/pt (also en-US, pt_BR, PT) are trusted and
 * skip detection; another valid ISO 639-1 code is reported as given and analysed as "other"
 * (emoji and emoticons only); anything else is ignored (flagged) and detection runs.
 */
export function languageFromHint(hint: string | null | undefined): {
  language: Language | undefined;
  hintedLanguage: string | undefined;
  ignored: boolean;
} {
  if (hint === null || hint === undefined || hint.trim() === '') {
    return { language: undefined, hintedLanguage: undefined, ignored: false };
  }
  const code = hint.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (code === 'en' || code === 'pt')
    return { language: code, hintedLanguage: code, ignored: false };
  if (ISO_639_1.test(code)) return { language: 'other', hintedLanguage: code, ignored: false };
  return { language: undefined, hintedLanguage: undefined, ignored: true };
}

/** ISO 639-1 code reported for a result: en, pt, the hinted code, or `und` when unknown. */
export function reportedLanguage(language: Language, hintedLanguage: string | undefined): string {
  if (language === 'en' || language === 'pt') return language;
  return hintedLanguage ?? 'und';
}

/** Bounded value of the `language` metric label. */
export function languageLabel(language: string): 'en' | 'pt' | 'und' | 'other' {
  return language === 'en' || language === 'pt' || language === 'und' ? language : 'other';
}

const EVENT_NAMESPACE = Buffer.from(
  '6f1c1a52-9d1e-5b8e-8a43-2f3b0c7d9e11'.replace(/-/g, ''),
  'hex',
);

/**
 * The analysis event's id: a name-based UUID (version 5, SHA-1) of commentId and model version,
 * so re-processing the same comment with the same model can only ever publish the same event id.
 */
export function analysisEventId(commentId: string, modelVersion: string): string {
  const name = Buffer.from(`${commentId}\u0000${modelVersion}`, 'utf8');
  const data = Buffer.allocUnsafe(EVENT_NAMESPACE.length + name.length);
  EVENT_NAMESPACE.copy(data, 0);
  name.copy(data, EVENT_NAMESPACE.length);
  const digest = hash('sha1', data, 'buffer');
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x50;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The `comments.analyzed` record of a prepared comment and its classification. */
export function toAnalyzedEvent(
  comment: PreparedComment,
  result: ClassifiedComment,
  modelVersion: string,
  analyzedAt: number,
): CommentAnalyzed {
  const flags = [...comment.flags];
  for (const f of result.flags) if (!flags.includes(f)) flags.push(f);
  return {
    eventId: analysisEventId(comment.commentId, modelVersion),
    commentId: comment.commentId,
    requestEventId: comment.requestEventId,
    source: comment.source,
    label: result.label,
    score: result.score,
    confidence: result.confidence,
    language: reportedLanguage(result.language, comment.hintedLanguage),
    modelVersion,
    drivers: result.drivers,
    entities: result.entities,
    tokenCount: result.tokenCount,
    flags,
    submittedAt: comment.submittedAt,
    analyzedAt,
  };
}
